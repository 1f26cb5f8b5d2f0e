CREATE TABLE "subscriber_merges" (
	"from_id" bigint PRIMARY KEY NOT NULL,
	"into_id" bigint NOT NULL,
	"merged_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "subscriber_merges" ADD CONSTRAINT "subscriber_merges_into_id_subscribers_id_fk" FOREIGN KEY ("into_id") REFERENCES "public"."subscribers"("id") ON DELETE no action ON UPDATE no action;