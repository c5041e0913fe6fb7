import {
  changeFailureSql,
  decidedEscalationSql,
  finishedProductionSql,
  hoursSql,
  restoredAtLateral,
  restoredAtSql,
  runDecidedSql,
  runJoins,
  verdictLateral,
} from "./sql-scope";
import { teamSql } from "./teams";

/**
 * The facts every metric is made of, one row per fact, read from the pipeline tables for the time
 * ranges of a CTE named `ranges` (columns `lo`, `hi`: timestamps, `lo` included, `hi` excluded).
 * The rollup refresh groups them per day for the days it settles (refresh-metrics-rollup.ts); the
 * metrics query reads them live for the days the rollup does not hold (query-metrics.ts). Being
 * written once is what keeps the two equal.
 *
 * Every fact has `at`, the moment that places it in a day and a bucket (the "Counted at" column of
 * docs/decisions/008), and the rollup's key: `repository_id`, `team` (derived now, teams.ts) and
 * `simulated`. The definitions are those of reference.ts.
 */

const key = `pr."repositoryId" AS repository_id, ${teamSql} AS team, r.simulated`;
/** Joins a range to a timestamp column; a nested loop of index range scans, one per range. */
const inRange = (column: string) => `${column} >= rg.lo AND ${column} < rg.hi`;

/**
 * Runs by creation: the first reason of the run's first escalation (whenever it was raised, as in
 * the reference) and whether the run has a verdict.
 */
export const runFactsSql = `
  SELECT r."createdAt" AS at, ${key}, first_escalation.reason AS primary_reason,
         (first_escalation.reason IS NOT NULL OR ${runDecidedSql}) AS decided
    FROM ranges rg
    JOIN "PipelineRun" r ON ${inRange('r."createdAt"')}
    ${runJoins}
    LEFT JOIN LATERAL (
      SELECT COALESCE(e.reasons[1], 'unknown') AS reason FROM "Escalation" e WHERE e."runId" = r.id ORDER BY e."createdAt", e.id LIMIT 1
    ) first_escalation ON true
    ${verdictLateral}`;

/** Escalations by creation, once per reason they carry. */
export const escalationReasonFactsSql = `
  SELECT e."createdAt" AS at, ${key}, reason
    FROM ranges rg
    JOIN "Escalation" e ON ${inRange('e."createdAt"')}
    JOIN "PipelineRun" r ON r.id = e."runId"
    ${runJoins}
    CROSS JOIN LATERAL unnest(e.reasons) AS reason`;

/** Escalations a person decided, by decision. */
export const decisionFactsSql = `
  SELECT e."decidedAt" AS at, ${key}, e.status = 'approved' AS approved
    FROM ranges rg
    JOIN "Escalation" e ON ${inRange('e."decidedAt"')}
    JOIN "PipelineRun" r ON r.id = e."runId"
    ${runJoins}
   WHERE ${decidedEscalationSql}`;

/**
 * Finished production deployments by start, with their lead time (successful ones) and time to
 * restore (change failures; null while unrestored). `restore_lookup_at` is the start of the next
 * successful deployment the restoration was taken from, when it was looked up: the rollup keeps
 * the latest, so that a later change to the repository's deployments before it reopens the day.
 */
export const deploymentFactsSql = `
  SELECT d."startedAt" AS at, ${key}, d.status::text AS status, ${changeFailureSql} AS failure,
         CASE WHEN d.status = 'promoted' AND d."finishedAt" IS NOT NULL THEN ${hoursSql('d."finishedAt"', 'pr."openedAt"')} END AS lead_hours,
         CASE WHEN ${changeFailureSql} THEN ${hoursSql(restoredAtSql, 'd."startedAt"')} END AS restore_hours,
         next_good."startedAt" AS restore_lookup_at
    FROM ranges rg
    JOIN "Deployment" d ON d.environment = 'production' AND ${inRange('d."startedAt"')}
    JOIN "PipelineRun" r ON r.id = d."runId"
    ${runJoins}
    ${restoredAtLateral('pr."repositoryId"')}
   WHERE ${finishedProductionSql}`;

/**
 * Stage attempts by queue time: queue and agent hours (0 for what has not happened yet, which adds
 * nothing), and whether the attempt is the run's first of its stage.
 */
export const attemptFactsSql = `
  SELECT s."queuedAt" AS at, ${key}, s.stage::text AS stage, s.attempt = 1 AS first_attempt,
         COALESCE(${hoursSql('COALESCE(s."startedAt", s."finishedAt")', 's."queuedAt"')}, 0) AS queue_hours,
         COALESCE(${hoursSql('s."finishedAt"', 's."startedAt"')}, 0) AS agent_hours
    FROM ranges rg
    JOIN "StageRun" s ON ${inRange('s."queuedAt"')}
    JOIN "PipelineRun" r ON r.id = s."runId"
    ${runJoins}
   WHERE s.status <> 'not_configured'`;

/** Time waiting for a person, by escalation creation, for escalations decided or cancelled. */
export const humanFactsSql = `
  SELECT e."createdAt" AS at, ${key}, e.stage::text AS stage, ${hoursSql('e."decidedAt"', 'e."createdAt"')} AS human_hours
    FROM ranges rg
    JOIN "Escalation" e ON ${inRange('e."createdAt"')}
    JOIN "PipelineRun" r ON r.id = e."runId"
    ${runJoins}
   WHERE e."decidedAt" IS NOT NULL`;
