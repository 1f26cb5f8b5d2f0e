CREATE TABLE "sequence_versions" (
	"version" integer PRIMARY KEY NOT NULL,
	"published_at" bigint NOT NULL,
	"published_by" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "subscribers" ADD COLUMN "sequence_version" integer;--> statement-breakpoint
CREATE INDEX "subscribers_version_idx" ON "subscribers" USING btree ("sequence_version") WHERE "subscribers"."next_send_at" is not null;--> statement-breakpoint
-- Everyone who confirmed before versions existed follows version 1, which is the sequence they were on: nothing is resent or skipped.
INSERT INTO "sequence_versions" ("version", "published_at", "published_by") VALUES (1, (extract(epoch from now()) * 1000)::bigint, 'migration');--> statement-breakpoint
UPDATE "subscribers" SET "sequence_version" = 1 WHERE "confirmed_at" IS NOT NULL;
