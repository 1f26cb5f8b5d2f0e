CREATE TABLE `import_report_rows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`report_id` integer NOT NULL,
	`row` integer NOT NULL,
	`email` text NOT NULL,
	`email_hash` text,
	`outcome` text NOT NULL,
	`subscriber_id` integer,
	`problems` text NOT NULL,
	`cells` text NOT NULL,
	FOREIGN KEY (`report_id`) REFERENCES `import_reports`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `import_report_rows_report_idx` ON `import_report_rows` (`report_id`,`row`);--> statement-breakpoint
CREATE INDEX `import_report_rows_hash_idx` ON `import_report_rows` (`email_hash`);--> statement-breakpoint
CREATE INDEX `import_report_rows_subscriber_idx` ON `import_report_rows` (`subscriber_id`);--> statement-breakpoint
CREATE TABLE `import_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` integer NOT NULL,
	`actor` text NOT NULL,
	`expires_at` integer NOT NULL,
	`summary` text NOT NULL,
	`notes` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `import_reports_expires_idx` ON `import_reports` (`expires_at`);