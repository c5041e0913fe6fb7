-- A run can end `cancelled`: its pull request was closed unmerged, or its base moved and the host
-- brought the branch up to date (the new head runs again). Until now both read as `superseded`
-- with no successor, and those rows become `cancelled`.
ALTER TYPE "RunStatus" RENAME TO "RunStatus_old";
CREATE TYPE "RunStatus" AS ENUM ('queued', 'running', 'escalated', 'done', 'rejected', 'changes_requested', 'failed', 'rolled_back', 'superseded', 'cancelled');
ALTER TABLE "PipelineRun" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "PipelineRun" ALTER COLUMN "status" TYPE "RunStatus"
  USING ((CASE WHEN "status"::text = 'superseded' AND "supersededBy" IS NULL THEN 'cancelled' ELSE "status"::text END)::"RunStatus");
ALTER TABLE "PipelineRun" ALTER COLUMN "status" SET DEFAULT 'queued';
DROP TYPE "RunStatus_old";

-- A re-run of the same head (a person asked the code host to run the checks again): the head SHA
-- no longer identifies one run of a pull request, (head SHA, re-run number) does.
ALTER TABLE "PipelineRun" ADD COLUMN "rerun" INTEGER NOT NULL DEFAULT 0;
DROP INDEX "PipelineRun_pullRequestId_headSha_key";
CREATE UNIQUE INDEX "PipelineRun_pullRequestId_headSha_rerun_key" ON "PipelineRun"("pullRequestId", "headSha", "rerun");

-- Gate-only repositories: people merge, and the merge commit is deployed by a run of its own that
-- starts at the deployment stage.
ALTER TABLE "PipelineRun" ADD COLUMN "afterMerge" BOOLEAN NOT NULL DEFAULT false;
