PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_sequence_versions` (
	`sequence` text DEFAULT 'education' NOT NULL,
	`version` integer NOT NULL,
	`published_at` integer NOT NULL,
	`published_by` text NOT NULL,
	`plan` integer,
	PRIMARY KEY(`sequence`, `version`)
);
--> statement-breakpoint
INSERT INTO `__new_sequence_versions`("sequence", "version", "published_at", "published_by", "plan") SELECT 'education', "version", "published_at", "published_by", "plan" FROM `sequence_versions`;--> statement-breakpoint
INSERT INTO `__new_sequence_versions`("sequence", "version", "published_at", "published_by") VALUES ('consult-follow-up', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'migration');--> statement-breakpoint
DROP TABLE `sequence_versions`;--> statement-breakpoint
ALTER TABLE `__new_sequence_versions` RENAME TO `sequence_versions`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `provider_events_clicks_idx` ON `provider_events` (`received_at`,`id`) WHERE "provider_events"."type" = 'email.clicked';