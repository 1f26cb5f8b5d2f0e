ALTER TABLE `provider_events` ADD `flag` text;--> statement-breakpoint
ALTER TABLE `provider_events` ADD `flag_reason` text;--> statement-breakpoint
CREATE INDEX `provider_events_flagged_idx` ON `provider_events` (`delivery_id`) WHERE "provider_events"."flag" is not null;