-- CreateEnum
CREATE TYPE "AuditVerificationMode" AS ENUM ('full', 'incremental');

-- CreateEnum
CREATE TYPE "AuditVerificationStatus" AS ENUM ('running', 'verified', 'broken', 'failed');

-- CreateTable
CREATE TABLE "AuditCheckpoint" (
    "id" BIGSERIAL NOT NULL,
    "sequence" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "mode" "AuditVerificationMode" NOT NULL,
    "eventsChecked" INTEGER NOT NULL,
    "verifiedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditCheckpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditVerification" (
    "id" TEXT NOT NULL,
    "status" "AuditVerificationStatus" NOT NULL DEFAULT 'running',
    "requestedById" TEXT NOT NULL,
    "requestedBy" TEXT NOT NULL,
    "targetSequence" BIGINT NOT NULL,
    "checkedThrough" BIGINT NOT NULL DEFAULT 0,
    "eventsChecked" INTEGER NOT NULL DEFAULT 0,
    "broken" JSONB,
    "error" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "progressAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "AuditVerification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AuditCheckpoint_sequence_key" ON "AuditCheckpoint"("sequence");

-- CreateIndex
CREATE INDEX "AuditVerification_startedAt_idx" ON "AuditVerification"("startedAt");

-- CreateIndex
CREATE INDEX "AuditEvent_action_sequence_idx" ON "AuditEvent"("action", "sequence");

-- CreateIndex
CREATE INDEX "AuditEvent_repositoryId_sequence_idx" ON "AuditEvent"("repositoryId", "sequence");


-- Hand-written: expression indexes, which schema.prisma cannot state (the drift test in
-- test/integration/migrations.test.ts lists them by name and definition).
-- The audit search's actor filter: lower("actorLabel") LIKE 'prefix%', in any collation.
CREATE INDEX "AuditEvent_actorLabel_lower_idx" ON "AuditEvent"(lower("actorLabel") text_pattern_ops);

-- The decision filter: payload->>'decision' (people) or payload->>'outcome' (agents). Not partial,
-- although most events carry neither: the planner takes selectivity statistics only from the
-- expressions of non-partial indexes, and without them it misjudges a rare decision as common
-- and walks the whole log backwards instead of using the index.
CREATE INDEX "AuditEvent_payload_decision_idx" ON "AuditEvent"((payload->>'decision'));

CREATE INDEX "AuditEvent_payload_outcome_idx" ON "AuditEvent"((payload->>'outcome'));
