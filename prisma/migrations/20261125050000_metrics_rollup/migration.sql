-- CreateTable
CREATE TABLE "MetricsDailyRollup" (
    "day" DATE NOT NULL,
    "repositoryId" TEXT NOT NULL,
    "team" TEXT NOT NULL,
    "simulated" BOOLEAN NOT NULL,
    "runsStarted" INTEGER NOT NULL DEFAULT 0,
    "runsDecided" INTEGER NOT NULL DEFAULT 0,
    "escalationsDecided" INTEGER NOT NULL DEFAULT 0,
    "escalationsApproved" INTEGER NOT NULL DEFAULT 0,
    "deployments" INTEGER NOT NULL DEFAULT 0,
    "deploymentsPromoted" INTEGER NOT NULL DEFAULT 0,
    "rollbacks" INTEGER NOT NULL DEFAULT 0,
    "changeFailures" INTEGER NOT NULL DEFAULT 0,
    "unrestoredFailures" INTEGER NOT NULL DEFAULT 0,
    "leadHours" DOUBLE PRECISION[] DEFAULT ARRAY[]::DOUBLE PRECISION[],
    "restoreHours" DOUBLE PRECISION[] DEFAULT ARRAY[]::DOUBLE PRECISION[],
    "restoreLookupUntil" TIMESTAMP(3),

    CONSTRAINT "MetricsDailyRollup_pkey" PRIMARY KEY ("day","repositoryId","team","simulated")
);

-- CreateTable
CREATE TABLE "MetricsDailyReasonRollup" (
    "day" DATE NOT NULL,
    "repositoryId" TEXT NOT NULL,
    "team" TEXT NOT NULL,
    "simulated" BOOLEAN NOT NULL,
    "reason" TEXT NOT NULL,
    "runsEscalated" INTEGER NOT NULL DEFAULT 0,
    "escalations" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "MetricsDailyReasonRollup_pkey" PRIMARY KEY ("day","repositoryId","team","simulated","reason")
);

-- CreateTable
CREATE TABLE "MetricsDailyStageRollup" (
    "day" DATE NOT NULL,
    "repositoryId" TEXT NOT NULL,
    "team" TEXT NOT NULL,
    "simulated" BOOLEAN NOT NULL,
    "stage" "Stage" NOT NULL,
    "runs" INTEGER NOT NULL DEFAULT 0,
    "queueHours" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "agentHours" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "humanHours" DOUBLE PRECISION NOT NULL DEFAULT 0,

    CONSTRAINT "MetricsDailyStageRollup_pkey" PRIMARY KEY ("day","repositoryId","team","simulated","stage")
);

-- CreateTable
CREATE TABLE "MetricsRollupDay" (
    "day" DATE NOT NULL,
    "closedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MetricsRollupDay_pkey" PRIMARY KEY ("day")
);

-- CreateIndex
CREATE INDEX "MetricsDailyRollup_repositoryId_day_idx" ON "MetricsDailyRollup"("repositoryId", "day");



-- Keeping the rollup exact (hand-written: Prisma's schema language has no triggers). A change to
-- a pipeline row that counts on a rolled-up day removes that day from "MetricsRollupDay" in the
-- same transaction, so the metrics query computes the day live from then on, until the next
-- refresh rolls it up again (lib/metrics/refresh-metrics-rollup.ts, docs/decisions/008). The days
-- a row counts on: a run's creation day, a stage attempt's queue day and its run's creation day
-- (verdicts), an escalation's creation and decision days and its run's creation day (first
-- escalation), a production deployment's start day and the days whose times to restore were
-- looked up among the repository's deployments around it. A change to a run's pull request or
-- simulated flag, to a pull request's author, opening or repository, or to a repository's teams
-- mapping, and any TRUNCATE, reopens every day.
--
-- A refresh only rolls up days that ended an hour ago or more, so writes for the last half hour
-- (nearly all of the engine's) return at once. Older ones take advisory lock 7310447020 in shared
-- mode before they look, which a refresh holds exclusively while it computes and writes its days:
-- a change is either seen by the refresh or reopens the day after it commits.
--
-- Prisma's JS migration engine splits a script at every semicolon, even inside $$ quotes, so the
-- function bodies are E'' strings with their semicolons written as \073.

CREATE FUNCTION "metrics_rollup_reopen"(days date[]) RETURNS void LANGUAGE plpgsql AS
E'DECLARE
  settled date[]\073
BEGIN
  settled := ARRAY(SELECT DISTINCT d FROM unnest(days) AS d WHERE d < ((statement_timestamp() AT TIME ZONE ''UTC'') - interval ''30 minutes'')::date)\073
  IF cardinality(settled) > 0 THEN
    PERFORM pg_advisory_xact_lock_shared(7310447020)\073
    DELETE FROM "MetricsRollupDay" WHERE day = ANY(settled)\073
  END IF\073
END\073';

CREATE FUNCTION "metrics_rollup_reopen_all"() RETURNS trigger LANGUAGE plpgsql AS
E'BEGIN
  PERFORM pg_advisory_xact_lock_shared(7310447020)\073
  DELETE FROM "MetricsRollupDay"\073
  RETURN NULL\073
END\073';

CREATE FUNCTION "metrics_rollup_pipeline_run_changed"() RETURNS trigger LANGUAGE plpgsql AS
E'BEGIN
  IF TG_OP = ''INSERT'' THEN
    PERFORM "metrics_rollup_reopen"(ARRAY(SELECT "createdAt"::date FROM new_rows))\073
  ELSIF TG_OP = ''UPDATE'' THEN
    IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
                WHERE n.simulated IS DISTINCT FROM o.simulated OR n."pullRequestId" IS DISTINCT FROM o."pullRequestId") THEN
      PERFORM pg_advisory_xact_lock_shared(7310447020)\073
      DELETE FROM "MetricsRollupDay"\073
    ELSE
      PERFORM "metrics_rollup_reopen"(ARRAY(SELECT "createdAt"::date FROM old_rows UNION SELECT "createdAt"::date FROM new_rows))\073
    END IF\073
  ELSE
    PERFORM "metrics_rollup_reopen"(ARRAY(SELECT "createdAt"::date FROM old_rows))\073
    -- The deleted runs took their deployments with them: the days whose times to restore were
    -- looked up in those repositories may have used one (the deployment trigger cannot tell, as
    -- the run is gone by then).
    PERFORM pg_advisory_xact_lock_shared(7310447020)\073
    DELETE FROM "MetricsRollupDay" WHERE day IN (
      SELECT u.day FROM "MetricsDailyRollup" u
       WHERE u."restoreLookupUntil" IS NOT NULL
         AND u."repositoryId" IN (SELECT pr."repositoryId" FROM old_rows o JOIN "PullRequest" pr ON pr.id = o."pullRequestId"))\073
  END IF\073
  RETURN NULL\073
END\073';

CREATE FUNCTION "metrics_rollup_stage_run_changed"() RETURNS trigger LANGUAGE plpgsql AS
E'DECLARE
  days date[] := ''{}''\073
BEGIN
  IF TG_OP <> ''DELETE'' THEN
    days := days || ARRAY(SELECT s."queuedAt"::date FROM new_rows s UNION SELECT r."createdAt"::date FROM new_rows s JOIN "PipelineRun" r ON r.id = s."runId")\073
  END IF\073
  IF TG_OP <> ''INSERT'' THEN
    days := days || ARRAY(SELECT s."queuedAt"::date FROM old_rows s UNION SELECT r."createdAt"::date FROM old_rows s JOIN "PipelineRun" r ON r.id = s."runId")\073
  END IF\073
  PERFORM "metrics_rollup_reopen"(days)\073
  RETURN NULL\073
END\073';

CREATE FUNCTION "metrics_rollup_escalation_changed"() RETURNS trigger LANGUAGE plpgsql AS
E'DECLARE
  days date[] := ''{}''\073
BEGIN
  IF TG_OP <> ''DELETE'' THEN
    days := days || ARRAY(SELECT e."createdAt"::date FROM new_rows e UNION SELECT e."decidedAt"::date FROM new_rows e
                          UNION SELECT r."createdAt"::date FROM new_rows e JOIN "PipelineRun" r ON r.id = e."runId")\073
  END IF\073
  IF TG_OP <> ''INSERT'' THEN
    days := days || ARRAY(SELECT e."createdAt"::date FROM old_rows e UNION SELECT e."decidedAt"::date FROM old_rows e
                          UNION SELECT r."createdAt"::date FROM old_rows e JOIN "PipelineRun" r ON r.id = e."runId")\073
  END IF\073
  PERFORM "metrics_rollup_reopen"(days)\073
  RETURN NULL\073
END\073';

CREATE FUNCTION "metrics_rollup_deployment_changed"() RETURNS trigger LANGUAGE plpgsql AS
E'DECLARE
  run_ids text[] := ''{}''\073
  starts timestamp[] := ''{}''\073
BEGIN
  IF TG_OP <> ''DELETE'' THEN
    SELECT run_ids || array_agg("runId"), starts || array_agg("startedAt") INTO run_ids, starts FROM new_rows WHERE environment = ''production''\073
  END IF\073
  IF TG_OP <> ''INSERT'' THEN
    SELECT run_ids || array_agg("runId"), starts || array_agg("startedAt") INTO run_ids, starts FROM old_rows WHERE environment = ''production''\073
  END IF\073
  IF cardinality(run_ids) > 0 THEN
    PERFORM "metrics_rollup_reopen"(ARRAY(SELECT s::date FROM unnest(starts) AS s))\073
    -- A successful production deployment restores the failures before it that had none since:
    -- reopen the repository days with an unrestored failure, or whose restore times were looked
    -- up at or after this deployment.
    PERFORM pg_advisory_xact_lock_shared(7310447020)\073
    DELETE FROM "MetricsRollupDay" WHERE day IN (
      SELECT u.day FROM unnest(run_ids, starts) AS x(run_id, started_at)
        JOIN "PipelineRun" r ON r.id = x.run_id
        JOIN "PullRequest" pr ON pr.id = r."pullRequestId"
        JOIN "MetricsDailyRollup" u ON u."repositoryId" = pr."repositoryId" AND u.day <= x.started_at::date
       WHERE u."unrestoredFailures" > 0 OR u."restoreLookupUntil" >= x.started_at)\073
  END IF\073
  RETURN NULL\073
END\073';

CREATE TRIGGER "PipelineRun_metrics_rollup_insert" AFTER INSERT ON "PipelineRun"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_pipeline_run_changed"();
CREATE TRIGGER "PipelineRun_metrics_rollup_update" AFTER UPDATE ON "PipelineRun"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_pipeline_run_changed"();
CREATE TRIGGER "PipelineRun_metrics_rollup_delete" AFTER DELETE ON "PipelineRun"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_pipeline_run_changed"();

CREATE TRIGGER "StageRun_metrics_rollup_insert" AFTER INSERT ON "StageRun"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_stage_run_changed"();
CREATE TRIGGER "StageRun_metrics_rollup_update" AFTER UPDATE ON "StageRun"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_stage_run_changed"();
CREATE TRIGGER "StageRun_metrics_rollup_delete" AFTER DELETE ON "StageRun"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_stage_run_changed"();

CREATE TRIGGER "Escalation_metrics_rollup_insert" AFTER INSERT ON "Escalation"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_escalation_changed"();
CREATE TRIGGER "Escalation_metrics_rollup_update" AFTER UPDATE ON "Escalation"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_escalation_changed"();
CREATE TRIGGER "Escalation_metrics_rollup_delete" AFTER DELETE ON "Escalation"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_escalation_changed"();

CREATE TRIGGER "Deployment_metrics_rollup_insert" AFTER INSERT ON "Deployment"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_deployment_changed"();
CREATE TRIGGER "Deployment_metrics_rollup_update" AFTER UPDATE ON "Deployment"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_deployment_changed"();
CREATE TRIGGER "Deployment_metrics_rollup_delete" AFTER DELETE ON "Deployment"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_deployment_changed"();

CREATE TRIGGER "PullRequest_metrics_rollup_update" AFTER UPDATE ON "PullRequest" FOR EACH ROW
  WHEN (OLD.author IS DISTINCT FROM NEW.author OR OLD."openedAt" IS DISTINCT FROM NEW."openedAt" OR OLD."repositoryId" IS DISTINCT FROM NEW."repositoryId")
  EXECUTE FUNCTION "metrics_rollup_reopen_all"();
CREATE TRIGGER "Repository_metrics_rollup_update" AFTER UPDATE ON "Repository" FOR EACH ROW
  WHEN (OLD.settings -> 'teams' IS DISTINCT FROM NEW.settings -> 'teams')
  EXECUTE FUNCTION "metrics_rollup_reopen_all"();

CREATE TRIGGER "PipelineRun_metrics_rollup_truncate" AFTER TRUNCATE ON "PipelineRun" FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_reopen_all"();
CREATE TRIGGER "StageRun_metrics_rollup_truncate" AFTER TRUNCATE ON "StageRun" FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_reopen_all"();
CREATE TRIGGER "Escalation_metrics_rollup_truncate" AFTER TRUNCATE ON "Escalation" FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_reopen_all"();
CREATE TRIGGER "Deployment_metrics_rollup_truncate" AFTER TRUNCATE ON "Deployment" FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_reopen_all"();
CREATE TRIGGER "PullRequest_metrics_rollup_truncate" AFTER TRUNCATE ON "PullRequest" FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_reopen_all"();
CREATE TRIGGER "Repository_metrics_rollup_truncate" AFTER TRUNCATE ON "Repository" FOR EACH STATEMENT EXECUTE FUNCTION "metrics_rollup_reopen_all"();
