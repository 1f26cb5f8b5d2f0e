CREATE TABLE `sequence_versions` (
	`version` integer PRIMARY KEY NOT NULL,
	`published_at` integer NOT NULL,
	`published_by` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `subscribers` ADD `sequence_version` integer;--> statement-breakpoint
CREATE INDEX `subscribers_version_idx` ON `subscribers` (`sequence_version`) WHERE "subscribers"."next_send_at" is not null;--> statement-breakpoint
-- Everyone who confirmed before versions existed follows version 1, which is the sequence they were on: nothing is resent or skipped.
INSERT INTO `sequence_versions` (`version`, `published_at`, `published_by`) VALUES (1, CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'migration');--> statement-breakpoint
UPDATE `subscribers` SET `sequence_version` = 1 WHERE `confirmed_at` IS NOT NULL;
