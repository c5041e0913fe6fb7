import { z } from "zod";
import { intervalVerdictSchema, type IntervalVerdict } from "../canary/verdict-schema";
import type { DeploymentStepKind } from "../db/generated/enums";
import { parseStoredJson, type StoredJson } from "./stored-json";

/** A DeploymentStep as the API sends it (id as a string: it is a bigint). */
export interface DeploymentStepRow {
  id: string;
  kind: DeploymentStepKind;
  at: string;
  /** Candidate traffic in percent after the step. */
  weight: number | null;
  /** pass | marginal | fail | no_data for evaluations; ok | failed for actions. */
  verdict: string | null;
  summary: string;
  detail: unknown;
}

export interface EvaluationPoint {
  stepId: string;
  at: string;
  verdict: string;
  summary: string;
  /** The canary interval's verdict; absent for the staging comparison (its table shows it). */
  result: StoredJson<IntervalVerdict>;
  /** The canary's values judged in this interval (from the threshold checks), for the charts. */
  errorRatePercent: number | null;
  p99LatencyMs: number | null;
}

export interface WeightPoint {
  at: string;
  weight: number;
  stepId: string;
  kind: DeploymentStepKind;
}

/** The metric that tripped a rollback, with its number and the limit it crossed. */
export interface TrippedMetric {
  metric: string;
  value: number;
  threshold: number;
  unit: string | null;
  at: string;
}

export interface DeploymentOutcome {
  kind: "promote" | "rollback";
  stepId: string;
  at: string;
  summary: string;
  tripped: TrippedMetric | null;
}

const rollbackDetailSchema = z.object({
  metric: z.string(),
  value: z.number(),
  threshold: z.number(),
  unit: z.string().nullable().optional(),
  at: z.string(),
});

/** The unit of a threshold metric, for a rollback detail that names the metric but not its unit. */
const thresholdUnits: Record<string, string> = { error_rate_percent: "%", p99_latency_ms: "ms" };

function measured(result: IntervalVerdict, metric: "error_rate_percent" | "p99_latency_ms"): number | null {
  return result.hardThresholds.checks.find((check) => check.metric === metric)?.value ?? null;
}

/** The staging agent records its comparison (shown as the staging table) as an evaluation step. */
function isStagingComparison(detail: unknown): boolean {
  return typeof detail === "object" && detail !== null && (detail as { kind?: unknown }).kind === "staging";
}

function evaluationOf(step: DeploymentStepRow): EvaluationPoint {
  const result: StoredJson<IntervalVerdict> = isStagingComparison(step.detail) ? { state: "absent" } : parseStoredJson(intervalVerdictSchema, step.detail);
  const verdict = result.state === "ok" ? result.value : null;
  return {
    stepId: step.id,
    at: step.at,
    verdict: step.verdict ?? verdict?.verdict ?? "no_data",
    summary: step.summary,
    result,
    errorRatePercent: verdict ? (measured(verdict, "error_rate_percent") ?? verdict.traffic.canary.errorRatePercent) : null,
    p99LatencyMs: verdict ? (measured(verdict, "p99_latency_ms") ?? verdict.traffic.canary.p99LatencyMs) : null,
  };
}

/**
 * What the steps say about a deployment: its evaluations, its traffic weight over time, and how it
 * ended. A rollback names the metric that tripped it: from the rollback step's own detail, else
 * from the failing evaluation before it.
 */
export function describeSteps(steps: readonly DeploymentStepRow[]) {
  const evaluations = steps.filter((step) => step.kind === "evaluation").map(evaluationOf);
  const weightHistory: WeightPoint[] = steps
    .filter((step) => step.weight !== null && Number.isFinite(step.weight))
    .map((step) => ({ at: step.at, weight: step.weight!, stepId: step.id, kind: step.kind }));

  const ending = steps.findLast((step) => step.kind === "promote" || step.kind === "rollback");
  let outcome: DeploymentOutcome | null = null;
  if (ending) {
    let tripped: TrippedMetric | null = null;
    if (ending.kind === "rollback") {
      const detail = rollbackDetailSchema.safeParse(ending.detail);
      if (detail.success) tripped = { ...detail.data, unit: detail.data.unit ?? thresholdUnits[detail.data.metric] ?? null };
      else {
        const failed = evaluations.findLast((evaluation) => evaluation.result.state === "ok" && evaluation.result.value.rollback);
        const rollback = failed?.result.state === "ok" ? failed.result.value.rollback : null;
        if (rollback) tripped = { metric: rollback.metric, value: rollback.value, threshold: rollback.threshold, unit: rollback.unit, at: rollback.at };
      }
    }
    outcome = { kind: ending.kind as "promote" | "rollback", stepId: ending.id, at: ending.at, summary: ending.summary, tripped };
  }
  return { evaluations, weightHistory, outcome };
}
