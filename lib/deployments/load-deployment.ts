import { z } from "zod";
import type { Db } from "../db/client";
import { Prisma } from "../db/generated/client";
import { DomainError } from "../errors";
import { chartRows, DISPLAY_POINTS_PER_COHORT, type ChartRows, type CohortSamples } from "./chart-series";
import { parseDeploymentAnalysis, stagingAnalysisSchema, type DeploymentAnalysis, type StagingAnalysis } from "./analysis";
import { parseIncidentReport, type ParsedIncidentReport } from "./incident-report";
import { deploymentSummary } from "./status";
import { describeSteps, type DeploymentOutcome, type DeploymentStepRow, type EvaluationPoint, type WeightPoint } from "./steps";
import { parseStoredJson, type StoredJson } from "./stored-json";
import { thresholdsFromPolicy, type DeploymentThresholds } from "./thresholds";

/** One cohort's measurements in one interval, as stored: error rate in percent (0–100). */
export interface MetricSamplePoint {
  at: string;
  errorRate: number;
  p99Ms: number;
  requests: number;
}

export interface DeploymentDetail {
  deployment: {
    id: string;
    environment: string;
    strategy: string;
    target: string;
    trafficPercent: number;
    status: string;
    /** An agent is still working on it: steps and samples may still arrive. */
    live: boolean;
    startedAt: string;
    finishedAt: string | null;
    rollbackReason: string | null;
  };
  run: { id: string; status: string; currentStage: string | null };
  pullRequest: { number: number; title: string; author: string; baseRef: string; headRef: string };
  repository: { id: string; name: string };
  /** The limits of the run's own policy version, drawn as threshold lines. */
  thresholds: DeploymentThresholds;
  analysis: StoredJson<DeploymentAnalysis>;
  /**
   * For a production deployment, the staging comparison of the same run (its latest staging
   * deployment): the baseline comparison made before the canary started.
   */
  stagingComparison: { deploymentId: string; status: string; startedAt: string; analysis: StoredJson<StagingAnalysis> } | null;
  /** The run's deployments, oldest first: staging, then production, then any retries. */
  runDeployments: { id: string; environment: string; status: string; startedAt: string }[];
  incidentReport: ParsedIncidentReport;
  steps: DeploymentStepRow[];
  evaluations: EvaluationPoint[];
  weightHistory: WeightPoint[];
  outcome: DeploymentOutcome | null;
  /** Raw samples by cohort, in time order: all of them, or those after `samplesAfter`. Null unless asked for raw samples. */
  samples: CohortSamples | null;
  /** The samples downsampled for the charts (`samples: "display"`); null otherwise. */
  display: ChartRows | null;
  /** Samples stored for the deployment in all. */
  sampleCount: number;
  /** The newest sample's id: pass it as `samplesAfter` to fetch only what arrived since. */
  lastSampleId: string | null;
  samplesAfter: string | null;
}

/** `?samplesAfter=`: a sample id (a positive bigint). */
export const sampleIdSchema = z
  .string()
  .regex(/^(0|[1-9]\d{0,18})$/, "a sample id (a non-negative integer, from lastSampleId)")
  .transform((value) => BigInt(value));

/** How the samples come: all raw ones, downsampled for the charts, or none (steps and verdicts only). */
export const sampleModes = ["raw", "display", "none"] as const;
export type SampleMode = (typeof sampleModes)[number];

/**
 * A deployment's samples by cohort in time order. Raw SQL on purpose: this is the hot path of the
 * deployment page, and formatting the time in the query and skipping the client's per-row model
 * mapping halves the time Prisma's findMany takes for 20,000 rows. `at` is stored as UTC.
 */
async function readSamples(db: Db, deploymentId: string, after: bigint | undefined): Promise<CohortSamples> {
  const rows = await db.$queryRaw<({ cohort: "canary" | "baseline" } & MetricSamplePoint)[]>`
    SELECT cohort::text AS cohort, to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, "errorRate", "p99Ms", requests
      FROM "MetricSample"
     WHERE "deploymentId" = ${deploymentId} ${after !== undefined ? Prisma.sql`AND id > ${after}` : Prisma.empty}
     ORDER BY cohort, at, id`;
  const samples: CohortSamples = { canary: [], baseline: [] };
  for (const { cohort, at, errorRate, p99Ms, requests } of rows) samples[cohort].push({ at, errorRate, p99Ms, requests });
  return samples;
}

/**
 * A deployment with everything its page shows. Samples come raw (`samplesAfter` limits them to
 * those stored after that id, so a client watching a live canary fetches only the new ones: ids
 * grow in insertion order, and one agent attempt writes a deployment's samples), downsampled for
 * display, or not at all.
 */
export async function loadDeploymentOrThrow(
  db: Db,
  options: { id: string; samples?: SampleMode; samplesAfter?: bigint },
): Promise<DeploymentDetail> {
  const mode = options.samples ?? "raw";
  const row = await db.deployment.findUnique({
    where: { id: options.id },
    include: {
      run: {
        select: {
          id: true,
          status: true,
          currentStage: true,
          policy: { select: { version: true, rules: true } },
          pullRequest: { select: { number: true, title: true, author: true, baseRef: true, headRef: true, repository: { select: { id: true, name: true } } } },
          deployments: { select: { id: true, environment: true, status: true, startedAt: true }, orderBy: [{ startedAt: "asc" }, { id: "asc" }] },
        },
      },
      steps: { orderBy: { id: "asc" } },
    },
  });
  if (!row) throw new DomainError("not_found", `No deployment ${options.id}`);

  const [samples, sampleCount, newest, staging] = await Promise.all([
    mode === "none" ? null : readSamples(db, row.id, mode === "raw" ? options.samplesAfter : undefined),
    db.metricSample.count({ where: { deploymentId: row.id } }),
    db.metricSample.findFirst({ where: { deploymentId: row.id }, orderBy: { id: "desc" }, select: { id: true } }),
    row.environment === "production"
      ? db.deployment.findFirst({
          where: { runId: row.runId, environment: "staging" },
          orderBy: [{ startedAt: "desc" }, { id: "desc" }],
          select: { id: true, status: true, startedAt: true, analysis: true },
        })
      : null,
  ]);

  const steps: DeploymentStepRow[] = row.steps.map((step) => ({
    id: step.id.toString(),
    kind: step.kind,
    at: step.at.toISOString(),
    weight: step.weight,
    verdict: step.verdict,
    summary: step.summary,
    detail: step.detail,
  }));
  const { pullRequest } = row.run;

  return {
    deployment: deploymentSummary(row),
    run: { id: row.run.id, status: row.run.status, currentStage: row.run.currentStage },
    pullRequest: { number: pullRequest.number, title: pullRequest.title, author: pullRequest.author, baseRef: pullRequest.baseRef, headRef: pullRequest.headRef },
    repository: pullRequest.repository,
    thresholds: thresholdsFromPolicy(row.run.policy),
    analysis: parseDeploymentAnalysis(row.analysis),
    stagingComparison: staging
      ? {
          deploymentId: staging.id,
          status: staging.status,
          startedAt: staging.startedAt.toISOString(),
          analysis: parseStoredJson(stagingAnalysisSchema, staging.analysis),
        }
      : null,
    runDeployments: row.run.deployments.map((d) => ({ id: d.id, environment: d.environment, status: d.status, startedAt: d.startedAt.toISOString() })),
    incidentReport: parseIncidentReport(row.incidentReport),
    steps,
    ...describeSteps(steps),
    samples: mode === "raw" ? samples : null,
    display: mode === "display" && samples ? chartRows(samples, DISPLAY_POINTS_PER_COHORT) : null,
    sampleCount,
    lastSampleId: newest?.id.toString() ?? null,
    samplesAfter: mode === "raw" ? (options.samplesAfter?.toString() ?? null) : null,
  };
}
