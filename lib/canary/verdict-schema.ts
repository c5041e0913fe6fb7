/**
 * The JSON an interval evaluation produces: what an agent stores with its decision and a UI
 * charts. The TypeScript types are inferred from these schemas, so the stored shape and the code
 * cannot drift; parse stored verdicts with `intervalVerdictSchema` before reading them. Every
 * number is finite or null (JSON has no NaN or Infinity).
 */
import { z } from "zod";

export const metricDirections = ["increase_is_bad", "decrease_is_bad"] as const;
export type MetricDirection = (typeof metricDirections)[number];

/** A metric's verdict. `no_data` is never a pass. */
export const metricVerdicts = ["pass", "marginal", "fail", "no_data"] as const;
export type MetricVerdict = (typeof metricVerdicts)[number];

/** The verdict of the statistical score and of a whole interval: the same four words. */
export const canaryVerdicts = metricVerdicts;
export type CanaryVerdict = MetricVerdict;

const finite = z.number(); // zod 4 rejects NaN and ±Infinity

export const cohortSummarySchema = z.strictObject({
  /** Finite observations used. */
  count: z.number().int().min(0),
  /** NaN or ±Infinity observations left out. */
  dropped: z.number().int().min(0),
  median: finite.nullable(),
  mean: finite.nullable(),
  p99: finite.nullable(),
});
export type CohortSummary = z.infer<typeof cohortSummarySchema>;

export const metricComparisonSchema = z.strictObject({
  name: z.string(),
  unit: z.string().nullable(),
  direction: z.enum(metricDirections),
  critical: z.boolean(),
  weight: finite.min(0),
  verdict: z.enum(metricVerdicts),
  /** One sentence with the numbers that decided the verdict. */
  reason: z.string(),
  baseline: cohortSummarySchema,
  candidate: cohortSummarySchema,
  /** Hodges–Lehmann estimate of candidate − baseline, in the metric's unit. */
  shift: finite.nullable(),
  /** Confidence interval of the shift. */
  interval: z.strictObject({ lower: finite, upper: finite, confidenceLevel: finite }).nullable(),
  /** The configured tolerance: allowed shift as a fraction of the baseline median. */
  tolerance: finite.min(0),
  /** The allowed shift in the bad direction, in the metric's unit (always ≥ 0). */
  allowedShift: finite.min(0).nullable(),
  /** shift / |baseline median|; null when the baseline median is 0. */
  relativeShift: finite.nullable(),
  /** P(a random candidate observation is worse than a random baseline one), ties counting ½. */
  probabilityWorse: finite.min(0).max(1).nullable(),
  /** One-sided Mann-Whitney p-value for "the candidate is worse" (normal approximation). */
  pValue: finite.min(0).max(1).nullable(),
});
export type MetricComparison = z.infer<typeof metricComparisonSchema>;

const verdictCounts = z.strictObject({
  pass: z.number().int().min(0),
  marginal: z.number().int().min(0),
  fail: z.number().int().min(0),
  no_data: z.number().int().min(0),
});

export const scoreThresholdsSchema = z.strictObject({
  /** Score at or above which the canary passes (0–100). */
  pass: finite.min(0).max(100),
  /** Score at or above which it is marginal; below it fails. */
  marginal: finite.min(0).max(100),
});
export type ScoreThresholds = z.infer<typeof scoreThresholdsSchema>;

export const canaryScoreSchema = z.strictObject({
  verdict: z.enum(canaryVerdicts),
  /** 0–100: weighted share of the metrics' credit; null when no metric had data. */
  score: finite.min(0).max(100).nullable(),
  thresholds: scoreThresholdsSchema,
  counts: verdictCounts,
  /** Critical metrics that failed: any one fails the canary whatever the score. */
  criticalFailures: z.array(z.string()),
  /** Critical metrics without data: the canary cannot pass without them. */
  criticalNoData: z.array(z.string()),
  reason: z.string(),
});
export type CanaryScore = z.infer<typeof canaryScoreSchema>;

export const thresholdMetrics = ["error_rate_percent", "p99_latency_ms"] as const;
export type ThresholdMetric = (typeof thresholdMetrics)[number];

export const thresholdCheckSchema = z.strictObject({
  metric: z.enum(thresholdMetrics),
  /** The canary's value this interval; null when it could not be measured. */
  value: finite.nullable(),
  threshold: finite,
  unit: z.enum(["%", "ms"]),
  status: z.enum(["ok", "breach", "no_data"]),
  /** When it was judged (the interval's evaluation time). */
  at: z.string(),
  reason: z.string(),
});
export type ThresholdCheck = z.infer<typeof thresholdCheckSchema>;

export const hardThresholdResultSchema = z.strictObject({
  verdict: z.enum(["ok", "breach", "no_data"]),
  requests: finite.min(0).nullable(),
  minRequests: finite.min(0),
  checks: z.array(thresholdCheckSchema),
  /** The checks that breached, in the order of `checks` (error rate first). */
  breaches: z.array(thresholdCheckSchema),
  reason: z.string(),
});
export type HardThresholdResult = z.infer<typeof hardThresholdResultSchema>;

export const rollbackDecisionSchema = z.strictObject({
  source: z.enum(["hard_threshold", "statistics"]),
  /** The metric that decided: a threshold metric, a compared metric's name, or "canary_score". */
  metric: z.string(),
  /** Its value: the measured rate or p99, the metric's shift, or the score. */
  value: finite,
  /**
   * What it was held against: the threshold, the allowed shift (signed like the shift: negative
   * for a decrease_is_bad metric), or the marginal score.
   */
  threshold: finite,
  unit: z.string().nullable(),
  at: z.string(),
  reason: z.string(),
});
export type RollbackDecision = z.infer<typeof rollbackDecisionSchema>;

const trafficSummarySchema = z.strictObject({
  requests: finite.min(0).nullable(),
  errors: finite.min(0).nullable(),
  errorRatePercent: finite.min(0).nullable(),
  p99LatencyMs: finite.nullable(),
});
export type TrafficSummary = z.infer<typeof trafficSummarySchema>;

export const intervalVerdictSchema = z.strictObject({
  version: z.literal(1),
  /** When the interval was evaluated (ISO 8601, from the caller: the functions read no clock). */
  at: z.string(),
  interval: z.strictObject({ index: z.number().int().min(0), startedAt: z.string(), endedAt: z.string() }).nullable(),
  /** fail > marginal > no_data > pass: the worse of the hard thresholds and the statistics. */
  verdict: z.enum(canaryVerdicts),
  summary: z.string(),
  /** Set exactly when the verdict is fail. */
  rollback: rollbackDecisionSchema.nullable(),
  hardThresholds: hardThresholdResultSchema,
  statistics: canaryScoreSchema.extend({ metrics: z.array(metricComparisonSchema) }),
  traffic: z.strictObject({ canary: trafficSummarySchema, baseline: trafficSummarySchema.nullable() }),
});
export type IntervalVerdict = z.infer<typeof intervalVerdictSchema>;
