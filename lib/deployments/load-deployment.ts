import { z } from "zod";
import type { Db } from "../db/client";
import { ApiError } from "../http/errors";
import { parseDeploymentAnalysis, stagingAnalysisSchema, type DeploymentAnalysis, type StagingAnalysis } from "./analysis";
import { parseIncidentReport, type ParsedIncidentReport } from "./incident-report";
import { isLiveDeployment } from "./status";
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
  /** Raw samples by cohort, in time order: all of them, or those after `samplesAfter`. */
  samples: { canary: MetricSamplePoint[]; baseline: MetricSamplePoint[] };
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

/**
 * A deployment with everything its page shows. `samplesAfter` limits the samples to those stored
 * after that id, so a page watching a live canary fetches only the new ones. Sample ids grow in
 * insertion order; one agent attempt writes a deployment's samples, so they arrive in id order.
 */
export async function loadDeploymentOrThrow(db: Db, options: { id: string; samplesAfter?: bigint }): Promise<DeploymentDetail> {
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
  if (!row) throw new ApiError("not_found", `No deployment ${options.id}`);

  const [samples, sampleCount, newest, staging] = await Promise.all([
    db.metricSample.findMany({
      where: { deploymentId: row.id, ...(options.samplesAfter !== undefined ? { id: { gt: options.samplesAfter } } : {}) },
      orderBy: [{ cohort: "asc" }, { at: "asc" }, { id: "asc" }],
      select: { cohort: true, at: true, errorRate: true, p99Ms: true, requests: true },
    }),
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
  const bySample = { canary: [] as MetricSamplePoint[], baseline: [] as MetricSamplePoint[] };
  for (const sample of samples) {
    bySample[sample.cohort].push({ at: sample.at.toISOString(), errorRate: sample.errorRate, p99Ms: sample.p99Ms, requests: sample.requests });
  }
  const { pullRequest } = row.run;

  return {
    deployment: {
      id: row.id,
      environment: row.environment,
      strategy: row.strategy,
      target: row.target,
      trafficPercent: row.trafficPercent,
      status: row.status,
      live: isLiveDeployment(row.status),
      startedAt: row.startedAt.toISOString(),
      finishedAt: row.finishedAt?.toISOString() ?? null,
      rollbackReason: row.rollbackReason,
    },
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
    samples: bySample,
    sampleCount,
    lastSampleId: newest?.id.toString() ?? null,
    samplesAfter: options.samplesAfter?.toString() ?? null,
  };
}
