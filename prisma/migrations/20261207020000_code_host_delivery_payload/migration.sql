-- A webhook delivery's payload, kept until the delivery job has processed it and cleared after.
ALTER TABLE "CodeHostDelivery" ADD COLUMN "payload" JSONB;
