ALTER TABLE "provider_events" ADD COLUMN "flag" text;--> statement-breakpoint
ALTER TABLE "provider_events" ADD COLUMN "flag_reason" text;--> statement-breakpoint
CREATE INDEX "provider_events_flagged_idx" ON "provider_events" USING btree ("delivery_id") WHERE "provider_events"."flag" is not null;