CREATE TABLE "unsubscribe_reasons" (
	"sequence" text NOT NULL,
	"step" integer NOT NULL,
	"reason" text NOT NULL,
	"day" bigint NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "unsubscribe_reasons_sequence_step_reason_day_pk" PRIMARY KEY("sequence","step","reason","day")
);
