-- The diff moves off the run's row into "RunDiff", with the paths it touches (for the escalation
-- package's "earlier runs on the same files"). Facts for existing runs are parsed on first read.
CREATE TABLE "RunDiff" (
    "runId" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "paths" TEXT[],
    "facts" JSONB,

    CONSTRAINT "RunDiff_pkey" PRIMARY KEY ("runId")
);

-- Paths of existing diffs from their "+++ b/<path>" headers (as the old same-files lookup matched
-- them), each once, in the diff's order like the paths intake stores.
INSERT INTO "RunDiff" ("runId", "text", "paths")
SELECT r.id, r.diff,
       ARRAY(SELECT path FROM regexp_matches(r.diff, '^\+\+\+ b/([^\t\n]+)', 'gn') WITH ORDINALITY AS found(m, n)
                  CROSS JOIN LATERAL (SELECT found.m[1] AS path) p
              GROUP BY path ORDER BY min(n))
  FROM "PipelineRun" r;

CREATE INDEX "RunDiff_paths_idx" ON "RunDiff" USING GIN ("paths");

ALTER TABLE "RunDiff" ADD CONSTRAINT "RunDiff_runId_fkey" FOREIGN KEY ("runId") REFERENCES "PipelineRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "PipelineRun" DROP COLUMN "diff";

-- Every stage has an agent now: the "waiting at a stage without one" states go. Rows left in them
-- (possible only in databases from before the last agent landed) could never move on.
UPDATE "StageRun" SET status = 'cancelled', summary = 'cancelled: no agent existed for this stage when the run reached it'
 WHERE status = 'not_configured';
UPDATE "PipelineRun" SET status = 'failed', "finishedAt" = COALESCE("finishedAt", "updatedAt")
 WHERE status = 'waiting';

ALTER TYPE "RunStatus" RENAME TO "RunStatus_old";
CREATE TYPE "RunStatus" AS ENUM ('queued', 'running', 'escalated', 'done', 'rejected', 'changes_requested', 'failed', 'rolled_back', 'superseded');
ALTER TABLE "PipelineRun" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "PipelineRun" ALTER COLUMN "status" TYPE "RunStatus" USING ("status"::text::"RunStatus");
ALTER TABLE "PipelineRun" ALTER COLUMN "status" SET DEFAULT 'queued';
DROP TYPE "RunStatus_old";

ALTER TYPE "StageStatus" RENAME TO "StageStatus_old";
CREATE TYPE "StageStatus" AS ENUM ('queued', 'running', 'passed', 'escalated', 'failed', 'rolled_back', 'error', 'cancelled');
ALTER TABLE "StageRun" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "StageRun" ALTER COLUMN "status" TYPE "StageStatus" USING ("status"::text::"StageStatus");
ALTER TABLE "StageRun" ALTER COLUMN "status" SET DEFAULT 'queued';
DROP TYPE "StageStatus_old";
