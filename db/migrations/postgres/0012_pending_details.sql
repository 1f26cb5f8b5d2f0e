CREATE TABLE "pending_details" (
	"subscriber_id" bigint PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"first_name" text,
	"timezone" text NOT NULL,
	"reader" text,
	"source" text,
	"signup_ip" text,
	"signup_user_agent" text,
	"signed_up_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "pending_details" ADD CONSTRAINT "pending_details_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE no action ON UPDATE no action;