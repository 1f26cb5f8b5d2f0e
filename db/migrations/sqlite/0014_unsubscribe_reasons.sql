CREATE TABLE `unsubscribe_reasons` (
	`sequence` text NOT NULL,
	`step` integer NOT NULL,
	`reason` text NOT NULL,
	`day` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`sequence`, `step`, `reason`, `day`)
);
