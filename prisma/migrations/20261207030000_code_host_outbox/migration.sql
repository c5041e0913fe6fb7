-- The code host's outbox (issue #18): publications written with the outcome they report.
CREATE TABLE "CodeHostPublication" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "headSha" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),

    CONSTRAINT "CodeHostPublication_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "CodeHostPublication_runId_kind_name_createdAt_idx" ON "CodeHostPublication"("runId", "kind", "name", "createdAt");
CREATE INDEX "CodeHostPublication_status_createdAt_idx" ON "CodeHostPublication"("status", "createdAt");

ALTER TABLE "CodeHostPublication" ADD CONSTRAINT "CodeHostPublication_runId_fkey" FOREIGN KEY ("runId") REFERENCES "PipelineRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;
