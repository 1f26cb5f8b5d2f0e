CREATE TABLE "activity" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "activity_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"subscriber_id" bigint,
	"type" text NOT NULL,
	"at" bigint NOT NULL,
	"detail" text
);
--> statement-breakpoint
CREATE TABLE "batches" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "batches_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"status" text DEFAULT 'ready' NOT NULL,
	"idempotency_key" text NOT NULL,
	"payload" text,
	"lease_owner" text,
	"lease_expires_at" bigint,
	"attempts" integer DEFAULT 0 NOT NULL,
	"first_attempt_at" bigint,
	"in_doubt" boolean DEFAULT false NOT NULL,
	"next_attempt_at" bigint,
	"last_error" text,
	"created_at" bigint NOT NULL,
	"sent_at" bigint
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"subscriber_id" bigint,
	"kind" text NOT NULL,
	"to_address" text,
	"step" integer DEFAULT 0 NOT NULL,
	"template_id" text NOT NULL,
	"template_version" text,
	"subject" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"batch_id" bigint,
	"provider_id" text,
	"error" text,
	"created_at" bigint NOT NULL,
	"sent_at" bigint,
	"delivered_at" bigint,
	"delayed_at" bigint,
	"opened_at" bigint,
	"clicked_at" bigint,
	"bounced_at" bigint,
	"complained_at" bigint
);
--> statement-breakpoint
CREATE TABLE "provider_events" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"provider_id" text,
	"delivery_id" bigint,
	"occurred_at" bigint NOT NULL,
	"received_at" bigint NOT NULL,
	"detail" text
);
--> statement-breakpoint
CREATE TABLE "subscribers" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "subscribers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"email" text,
	"email_hash" text NOT NULL,
	"first_name" text,
	"timezone" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"token_generation" integer DEFAULT 0 NOT NULL,
	"source" text,
	"signup_ip" text,
	"signup_user_agent" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"confirmation_sent_at" bigint,
	"confirmed_at" bigint,
	"consent_text" text,
	"consent_version" text,
	"consent_ip" text,
	"consent_user_agent" text,
	"consent_source" text,
	"unsubscribed_at" bigint,
	"suppressed_at" bigint,
	"suppressed_reason" text,
	"converted_at" bigint,
	"completed_at" bigint,
	"erased_at" bigint,
	"next_step" integer,
	"next_send_at" bigint,
	"last_sequence_sent_at" bigint
);
--> statement-breakpoint
CREATE TABLE "suppressions" (
	"email_hash" text PRIMARY KEY NOT NULL,
	"reason" text NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "worker_state" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "activity" ADD CONSTRAINT "activity_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_batch_id_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "provider_events" ADD CONSTRAINT "provider_events_delivery_id_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."deliveries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "activity_type_at_idx" ON "activity" USING btree ("type","at");--> statement-breakpoint
CREATE INDEX "activity_subscriber_idx" ON "activity" USING btree ("subscriber_id");--> statement-breakpoint
CREATE UNIQUE INDEX "batches_idempotency_key_unique" ON "batches" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "batches_status_idx" ON "batches" USING btree ("status");--> statement-breakpoint
CREATE INDEX "batches_ready_idx" ON "batches" USING btree ("lease_expires_at") WHERE "batches"."status" = 'ready';--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_sequence_once" ON "deliveries" USING btree ("subscriber_id","step") WHERE "deliveries"."kind" = 'sequence';--> statement-breakpoint
CREATE INDEX "deliveries_batch_idx" ON "deliveries" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "deliveries_provider_idx" ON "deliveries" USING btree ("provider_id");--> statement-breakpoint
CREATE INDEX "deliveries_step_idx" ON "deliveries" USING btree ("step","status");--> statement-breakpoint
CREATE INDEX "deliveries_subscriber_idx" ON "deliveries" USING btree ("subscriber_id");--> statement-breakpoint
CREATE INDEX "deliveries_unbatched_idx" ON "deliveries" USING btree ("id") WHERE "deliveries"."batch_id" is null and "deliveries"."status" = 'queued';--> statement-breakpoint
CREATE INDEX "provider_events_delivery_idx" ON "provider_events" USING btree ("delivery_id");--> statement-breakpoint
CREATE UNIQUE INDEX "subscribers_email_hash_unique" ON "subscribers" USING btree ("email_hash");--> statement-breakpoint
CREATE INDEX "subscribers_due_idx" ON "subscribers" USING btree ("next_send_at") WHERE "subscribers"."next_send_at" is not null;--> statement-breakpoint
CREATE INDEX "subscribers_status_idx" ON "subscribers" USING btree ("status");--> statement-breakpoint
CREATE INDEX "subscribers_created_idx" ON "subscribers" USING btree ("created_at");