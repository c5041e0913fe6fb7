import { z } from "zod";
import { blankAsUnset } from "../blank-as-unset";
import type { Db } from "../db/client";
import { DomainError } from "../errors";
import { stages } from "../pipeline/stages";
import {
  changeFailureSql,
  decidedEscalationSql,
  finishedProductionSql,
  hoursSql,
  leadStartSql,
  restoredAtLateral,
  restoredAtSql,
  runDecidedSql,
  runJoins,
  scopeSql,
  SqlParams,
  verdictLateral,
} from "./sql-scope";
import { teamSql } from "./teams";
import { bucketStart, type MetricsFilters, type MetricsWindow } from "./window";

/**
 * The runs behind a number: the same predicates as the aggregation (sql-scope.ts), narrowed to
 * one bucket, stage or reason when the number was one. Each item says why it is in the set.
 */
export const drillDownSets = {
  runs_started: "Runs started",
  runs_decided: "Runs with a verdict",
  runs_escalated: "Runs escalated to a person",
  escalations_decided: "Escalations decided",
  escalations_approved: "Escalations approved without changes (false escalations)",
  escalations_with_reason: "Escalations raised with this reason",
  deployments: "Finished production deployments",
  deployments_promoted: "Successful production deployments (lead time)",
  rollbacks: "Production deployments rolled back",
  change_failures: "Change failures (rolled back or with an incident)",
  stage_attempts: "Runs with an attempt of this stage",
} as const;
export type DrillDownSet = keyof typeof drillDownSets;

/** What an item's `hours` measure in each set (null where there is nothing to measure). */
const hoursMeaning: Record<DrillDownSet, string | null> = {
  runs_started: null,
  runs_decided: null,
  runs_escalated: null,
  escalations_decided: "waited for a person",
  escalations_approved: "waited for a person",
  escalations_with_reason: "waited for a person",
  deployments: "time to restore",
  deployments_promoted: "lead time",
  rollbacks: "time to restore",
  change_failures: "time to restore",
  stage_attempts: "queued to finished",
};

export const drillDownSchema = z.object({
  set: z.enum(Object.keys(drillDownSets) as [DrillDownSet, ...DrillDownSet[]]),
  bucket: blankAsUnset(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a bucket's first day, like 2026-05-04").optional()),
  stage: blankAsUnset(z.enum(stages).optional()),
  reason: blankAsUnset(z.string().trim().min(1).max(100).optional()),
  limit: z.preprocess((v) => (v === "" || v === undefined || v === null ? undefined : Number(v)), z.number().int().min(1).max(500).default(100)),
});
export type DrillDownQuery = z.infer<typeof drillDownSchema>;

export interface DrillDownItem {
  runId: string;
  repository: string;
  pullRequest: { number: number; title: string; author: string };
  team: string;
  runStatus: string;
  simulated: boolean;
  /** The moment that puts the item in the set (run created, deployment started, …). */
  at: string;
  /** Why it is in the set, in a few words. */
  detail: string;
  hours: number | null;
}

export interface DrillDown {
  set: DrillDownSet;
  title: string;
  hoursMeaning: string | null;
  total: number;
  items: DrillDownItem[];
}

const DAY_MS = 86_400_000;

/** The window narrowed to one bucket, which must start inside the window. */
function narrowWindow(window: MetricsWindow, bucket: string | undefined): { from: Date; to: Date } {
  if (!bucket) return { from: window.from, to: window.to };
  const start = new Date(`${bucket}T00:00:00.000Z`);
  const length = window.bucket === "day" ? DAY_MS : 7 * DAY_MS;
  if (bucketStart(start, window.bucket).getTime() !== start.getTime() || start >= window.to || start.getTime() + length <= window.from.getTime()) {
    throw new DomainError("invalid", "The request has invalid fields", [{ path: "bucket", message: `must be the first day of a ${window.bucket} in the period` }]);
  }
  const from = new Date(Math.max(start.getTime(), window.from.getTime()));
  const to = new Date(Math.min(start.getTime() + length, window.to.getTime()));
  return { from, to };
}

interface Row {
  run_id: string;
  repository: string;
  number: number;
  title: string;
  author: string;
  team: string;
  run_status: string;
  simulated: boolean;
  at: Date;
  detail: string;
  hours: number | null;
  total: number;
}

export async function drillDown(db: Db, window: MetricsWindow, filters: MetricsFilters, query: DrillDownQuery): Promise<DrillDown> {
  const range = narrowWindow(window, query.bucket);
  const params = new SqlParams();
  const from = params.at(range.from);
  const to = params.at(range.to);
  const scope = scopeSql(filters, params);
  const inRange = (column: string) => `${column} >= ${from} AND ${column} < ${to}`;
  const columns = `r.id AS run_id, repo.name AS repository, pr.number, pr.title, pr.author, ${teamSql} AS team, r.status::text AS run_status, r.simulated`;

  let source: string;
  switch (query.set) {
    case "runs_started":
    case "runs_decided":
    case "runs_escalated": {
      const condition = query.set === "runs_decided" ? `AND (first_escalation.reasons IS NOT NULL OR ${runDecidedSql})` : query.set === "runs_escalated" ? "AND first_escalation.reasons IS NOT NULL" : "";
      source = `SELECT ${columns}, r."createdAt" AS at,
                       COALESCE('escalated: ' || array_to_string(first_escalation.reasons, ', '), 'run ' || r.status::text) AS detail, NULL::float8 AS hours
                  FROM "PipelineRun" r ${runJoins}
                  LEFT JOIN LATERAL (SELECT e.reasons FROM "Escalation" e WHERE e."runId" = r.id ORDER BY e."createdAt", e.id LIMIT 1) first_escalation ON true
                  ${verdictLateral}
                 WHERE ${inRange('r."createdAt"')} ${condition}${scope}`;
      break;
    }
    case "escalations_decided":
    case "escalations_approved":
      source = `SELECT ${columns}, e."decidedAt" AS at, e.status::text || ' (' || array_to_string(e.reasons, ', ') || ')' AS detail,
                       ${hoursSql('e."decidedAt"', 'e."createdAt"')} AS hours
                  FROM "Escalation" e JOIN "PipelineRun" r ON r.id = e."runId" ${runJoins}
                 WHERE ${query.set === "escalations_approved" ? "e.status = 'approved'" : decidedEscalationSql} AND ${inRange('e."decidedAt"')}${scope}`;
      break;
    case "escalations_with_reason":
      source = `SELECT ${columns}, e."createdAt" AS at, e.status::text || ' (' || array_to_string(e.reasons, ', ') || ')' AS detail,
                       ${hoursSql('e."decidedAt"', 'e."createdAt"')} AS hours
                  FROM "Escalation" e JOIN "PipelineRun" r ON r.id = e."runId" ${runJoins}
                 WHERE ${inRange('e."createdAt"')}${query.reason ? ` AND ${params.add(query.reason)} = ANY(e.reasons)` : ""}${scope}`;
      break;
    case "deployments":
    case "deployments_promoted":
    case "rollbacks":
    case "change_failures": {
      const condition = { deployments: "", deployments_promoted: "AND d.status = 'promoted'", rollbacks: "AND d.status = 'rolled_back'", change_failures: `AND ${changeFailureSql}` }[query.set];
      const hours =
        query.set === "deployments_promoted"
          ? hoursSql('d."finishedAt"', leadStartSql)
          : `CASE WHEN ${changeFailureSql} THEN ${hoursSql(restoredAtSql, 'd."startedAt"')} END`;
      source = `SELECT ${columns}, d."startedAt" AS at,
                       d.status::text || CASE WHEN d."incidentReport" IS NOT NULL THEN ', incident' ELSE '' END || COALESCE(': ' || d."rollbackReason", '') AS detail,
                       ${hours} AS hours
                  FROM "Deployment" d JOIN "PipelineRun" r ON r.id = d."runId" ${runJoins}
                  ${restoredAtLateral('pr."repositoryId"')}
                 WHERE ${finishedProductionSql} ${condition} AND ${inRange('d."startedAt"')}${scope}`;
      break;
    }
    case "stage_attempts":
      source = `SELECT ${columns}, s."queuedAt" AS at, s.stage::text || ' attempt ' || s.attempt || ': ' || s.status::text AS detail,
                       ${hoursSql('COALESCE(s."finishedAt", s."startedAt", s."queuedAt")', 's."queuedAt"')} AS hours
                  FROM "StageRun" s JOIN "PipelineRun" r ON r.id = s."runId" ${runJoins}
                 WHERE ${inRange('s."queuedAt"')}${query.stage ? ` AND s.stage = ${params.add(query.stage)}::"Stage"` : ""}${scope}`;
      break;
  }
  const limit = params.add(query.limit);
  const rows = await db.$queryRawUnsafe<Row[]>(`SELECT *, count(*) OVER ()::int AS total FROM (${source}) item ORDER BY at DESC, run_id LIMIT ${limit}::int`, ...params.values);
  return {
    set: query.set,
    title: drillDownSets[query.set],
    hoursMeaning: hoursMeaning[query.set],
    total: rows[0]?.total ?? 0,
    items: rows.map((row) => ({
      runId: row.run_id,
      repository: row.repository,
      pullRequest: { number: row.number, title: row.title, author: row.author },
      team: row.team,
      runStatus: row.run_status,
      simulated: row.simulated,
      at: row.at.toISOString(),
      detail: row.detail,
      hours: row.hours,
    })),
  };
}
