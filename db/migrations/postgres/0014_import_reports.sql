CREATE TABLE "import_report_rows" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "import_report_rows_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"report_id" bigint NOT NULL,
	"row" integer NOT NULL,
	"email" text NOT NULL,
	"email_hash" text,
	"outcome" text NOT NULL,
	"subscriber_id" bigint,
	"problems" text NOT NULL,
	"cells" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "import_reports" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "import_reports_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"created_at" bigint NOT NULL,
	"actor" text NOT NULL,
	"expires_at" bigint NOT NULL,
	"summary" text NOT NULL,
	"notes" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "import_report_rows" ADD CONSTRAINT "import_report_rows_report_id_import_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."import_reports"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "import_report_rows_report_idx" ON "import_report_rows" USING btree ("report_id","row");--> statement-breakpoint
CREATE INDEX "import_report_rows_hash_idx" ON "import_report_rows" USING btree ("email_hash");--> statement-breakpoint
CREATE INDEX "import_report_rows_subscriber_idx" ON "import_report_rows" USING btree ("subscriber_id");--> statement-breakpoint
CREATE INDEX "import_reports_expires_idx" ON "import_reports" USING btree ("expires_at");