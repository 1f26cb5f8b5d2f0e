ALTER TABLE `batches` ADD `first_attempt_at` integer;--> statement-breakpoint
ALTER TABLE `batches` ADD `in_doubt` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `to_address` text;--> statement-breakpoint
CREATE INDEX `deliveries_unbatched_idx` ON `deliveries` (`id`) WHERE "deliveries"."batch_id" is null and "deliveries"."status" = 'queued';--> statement-breakpoint
-- Batches the previous release left attempted and unsettled: their outcome is unknown.
UPDATE `batches` SET `in_doubt` = 1, `first_attempt_at` = `created_at` WHERE `status` = 'ready' AND `attempts` > 0;
