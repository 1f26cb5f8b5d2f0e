CREATE TABLE `enrolments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`subscriber_id` integer NOT NULL,
	`sequence` text NOT NULL,
	`version` integer,
	`started_at` integer NOT NULL,
	`next_step` integer,
	`next_send_at` integer,
	`last_sent_at` integer,
	`ended_at` integer,
	`ended_reason` text,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `enrolments_subscriber_sequence_unique` ON `enrolments` (`subscriber_id`,`sequence`);--> statement-breakpoint
CREATE INDEX `enrolments_due_idx` ON `enrolments` (`next_send_at`) WHERE "enrolments"."next_send_at" is not null;--> statement-breakpoint
CREATE INDEX `enrolments_version_idx` ON `enrolments` (`sequence`,`version`) WHERE "enrolments"."next_send_at" is not null;--> statement-breakpoint
DROP INDEX `deliveries_sequence_once`;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `sequence` text;--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_sequence_step_once` ON `deliveries` (`subscriber_id`,`sequence`,`step`) WHERE "deliveries"."kind" = 'sequence';--> statement-breakpoint
-- Every person who ever confirmed joins the education sequence where they are:
-- their step, its time, their version and their last email move over; a
-- person who left keeps an ended enrolment (a re-subscribe reopens it). A
-- pending person starts it when they confirm.
UPDATE `deliveries` SET `sequence` = 'education' WHERE `kind` IN ('sequence', 'resend');--> statement-breakpoint
INSERT INTO `enrolments` (`subscriber_id`, `sequence`, `version`, `started_at`, `next_step`, `next_send_at`, `last_sent_at`, `ended_at`, `ended_reason`)
SELECT `id`, 'education', `sequence_version`, `confirmed_at`, `next_step`, `next_send_at`, `last_sequence_sent_at`,
  CASE `status`
    WHEN 'active' THEN NULL
    WHEN 'completed' THEN coalesce(`completed_at`, `updated_at`)
    WHEN 'converted' THEN coalesce(`converted_at`, `updated_at`)
    WHEN 'suppressed' THEN coalesce(`suppressed_at`, `updated_at`)
    WHEN 'erased' THEN coalesce(`erased_at`, `updated_at`)
    ELSE coalesce(`unsubscribed_at`, `updated_at`)
  END,
  CASE `status`
    WHEN 'active' THEN NULL
    WHEN 'completed' THEN 'completed'
    WHEN 'converted' THEN 'converted'
    WHEN 'suppressed' THEN 'suppressed'
    WHEN 'erased' THEN 'erased'
    ELSE 'unsubscribed'
  END
FROM `subscribers` WHERE `confirmed_at` IS NOT NULL;--> statement-breakpoint
DROP INDEX `subscribers_due_idx`;--> statement-breakpoint
DROP INDEX `subscribers_version_idx`;--> statement-breakpoint
ALTER TABLE `subscribers` DROP COLUMN `next_step`;--> statement-breakpoint
ALTER TABLE `subscribers` DROP COLUMN `next_send_at`;--> statement-breakpoint
ALTER TABLE `subscribers` DROP COLUMN `last_sequence_sent_at`;--> statement-breakpoint
ALTER TABLE `subscribers` DROP COLUMN `sequence_version`;