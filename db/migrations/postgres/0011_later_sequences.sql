ALTER TABLE "sequence_versions" ADD COLUMN "sequence" text DEFAULT 'education' NOT NULL;--> statement-breakpoint
ALTER TABLE "sequence_versions" DROP CONSTRAINT "sequence_versions_pkey";--> statement-breakpoint
ALTER TABLE "sequence_versions" ADD CONSTRAINT "sequence_versions_sequence_version_pk" PRIMARY KEY("sequence","version");--> statement-breakpoint
INSERT INTO "sequence_versions" ("sequence", "version", "published_at", "published_by") VALUES ('consult-follow-up', 1, (extract(epoch from now()) * 1000)::bigint, 'migration');--> statement-breakpoint
CREATE INDEX "provider_events_clicks_idx" ON "provider_events" USING btree ("received_at","id") WHERE "provider_events"."type" = 'email.clicked';