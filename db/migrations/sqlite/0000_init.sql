CREATE TABLE `activity` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`subscriber_id` integer,
	`type` text NOT NULL,
	`at` integer NOT NULL,
	`detail` text,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `activity_type_at_idx` ON `activity` (`type`,`at`);--> statement-breakpoint
CREATE INDEX `activity_subscriber_idx` ON `activity` (`subscriber_id`);--> statement-breakpoint
CREATE TABLE `batches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`status` text DEFAULT 'ready' NOT NULL,
	`idempotency_key` text NOT NULL,
	`payload` text,
	`lease_owner` text,
	`lease_expires_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`sent_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `batches_idempotency_key_unique` ON `batches` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `batches_status_idx` ON `batches` (`status`);--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`subscriber_id` integer,
	`kind` text NOT NULL,
	`step` integer DEFAULT 0 NOT NULL,
	`template_id` text NOT NULL,
	`template_version` text,
	`subject` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`batch_id` integer,
	`provider_id` text,
	`error` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	`delivered_at` integer,
	`delayed_at` integer,
	`opened_at` integer,
	`clicked_at` integer,
	`bounced_at` integer,
	`complained_at` integer,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_sequence_once` ON `deliveries` (`subscriber_id`,`step`) WHERE "deliveries"."kind" = 'sequence';--> statement-breakpoint
CREATE INDEX `deliveries_batch_idx` ON `deliveries` (`batch_id`);--> statement-breakpoint
CREATE INDEX `deliveries_provider_idx` ON `deliveries` (`provider_id`);--> statement-breakpoint
CREATE INDEX `deliveries_step_idx` ON `deliveries` (`step`,`status`);--> statement-breakpoint
CREATE TABLE `provider_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`provider_id` text,
	`delivery_id` integer,
	`occurred_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`detail` text,
	FOREIGN KEY (`delivery_id`) REFERENCES `deliveries`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `provider_events_delivery_idx` ON `provider_events` (`delivery_id`);--> statement-breakpoint
CREATE TABLE `subscribers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text,
	`email_hash` text NOT NULL,
	`first_name` text,
	`timezone` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`token_generation` integer DEFAULT 0 NOT NULL,
	`source` text,
	`signup_ip` text,
	`signup_user_agent` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`confirmation_sent_at` integer,
	`confirmed_at` integer,
	`consent_text` text,
	`consent_version` text,
	`consent_ip` text,
	`consent_user_agent` text,
	`consent_source` text,
	`unsubscribed_at` integer,
	`suppressed_at` integer,
	`suppressed_reason` text,
	`converted_at` integer,
	`completed_at` integer,
	`erased_at` integer,
	`next_step` integer,
	`next_send_at` integer,
	`last_sequence_sent_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_email_hash_unique` ON `subscribers` (`email_hash`);--> statement-breakpoint
CREATE INDEX `subscribers_due_idx` ON `subscribers` (`next_send_at`) WHERE "subscribers"."next_send_at" is not null;--> statement-breakpoint
CREATE INDEX `subscribers_status_idx` ON `subscribers` (`status`);--> statement-breakpoint
CREATE INDEX `subscribers_created_idx` ON `subscribers` (`created_at`);--> statement-breakpoint
CREATE TABLE `suppressions` (
	`email_hash` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `worker_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
