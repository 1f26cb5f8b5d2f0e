CREATE TABLE `pending_details` (
	`subscriber_id` integer PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`first_name` text,
	`timezone` text NOT NULL,
	`reader` text,
	`source` text,
	`signup_ip` text,
	`signup_user_agent` text,
	`signed_up_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
