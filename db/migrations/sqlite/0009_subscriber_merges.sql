CREATE TABLE `subscriber_merges` (
	`from_id` integer PRIMARY KEY NOT NULL,
	`into_id` integer NOT NULL,
	`merged_at` integer NOT NULL,
	FOREIGN KEY (`into_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
