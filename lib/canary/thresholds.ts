/**
 * The canary's hard limits for one evaluation interval: error rate and p99 latency, judged only
 * once the canary has served enough requests for a rate or a 99th percentile to mean something.
 */
import type { PolicyRules } from "../policy/policy-rules";
import { formatMeasure, formatNumber } from "./format";
import type { HardThresholdResult, ThresholdCheck } from "./verdict-schema";

export interface HardThresholds {
  /** Breach when the canary's error rate is above this (percent, 0.5 = 0.5%). */
  maxErrorRatePercent: number;
  /** Breach when the canary's p99 latency is above this. */
  maxP99LatencyMs: number;
  /** Requests the canary must have served in the interval before either is judged. */
  minRequests: number;
}

/**
 * 200 requests: at the default 0.5% limit, the fewest at which one error alone (0.5%) does not
 * breach, and enough that the p99 is not simply the slowest request of a handful. The policy has
 * no field for it yet.
 */
export const DEFAULT_MIN_REQUESTS = 200;

export function hardThresholdsFromPolicy(deployment: PolicyRules["deployment"], minRequests = DEFAULT_MIN_REQUESTS): HardThresholds {
  return { maxErrorRatePercent: deployment.maxErrorRatePercent, maxP99LatencyMs: deployment.maxP99LatencyMs, minRequests };
}

/** One cohort's traffic in one interval, as a metric source reports it. */
export interface CohortTraffic {
  requests: number;
  errors: number;
  /** The interval's 99th-percentile latency; null or absent when the source has none. */
  p99LatencyMs?: number | null;
}

export function checkHardThresholds({ canary, thresholds, at }: { canary: CohortTraffic; thresholds: HardThresholds; at: string }): HardThresholdResult {
  validateThresholds(thresholds);
  const { maxErrorRatePercent, maxP99LatencyMs, minRequests } = thresholds;
  const { requests, errors } = canary;
  const p99 = canary.p99LatencyMs ?? null;
  const countsValid = isCount(requests) && isCount(errors) && errors <= requests;
  const enough = countsValid && requests >= minRequests;
  const served = countsValid ? `${formatNumber(requests)} requests` : "";

  const check = (metric: ThresholdCheck["metric"], value: number | null, threshold: number, unit: ThresholdCheck["unit"], status: ThresholdCheck["status"], reason: string): ThresholdCheck => ({
    metric,
    value,
    threshold,
    unit,
    status,
    at,
    reason,
  });

  let errorCheck: ThresholdCheck;
  if (!countsValid) {
    errorCheck = check("error_rate_percent", null, maxErrorRatePercent, "%", "no_data", `error rate: unusable counts (${String(errors)} errors of ${String(requests)} requests)`);
  } else {
    const rate = requests === 0 ? null : (errors / requests) * 100;
    const errorCount = `${formatNumber(errors)} error${errors === 1 ? "" : "s"}`;
    const rateText = rate === null ? "no requests" : `${formatMeasure(rate, "%")} (${errorCount} in ${served})`;
    const limit = formatMeasure(maxErrorRatePercent, "%");
    if (enough) {
      errorCheck = rate! > maxErrorRatePercent
        ? check("error_rate_percent", rate, maxErrorRatePercent, "%", "breach", `error rate ${rateText} > ${limit}`)
        : check("error_rate_percent", rate, maxErrorRatePercent, "%", "ok", `error rate ${rateText} ≤ ${limit}`);
    } else if ((errors / minRequests) * 100 > maxErrorRatePercent) {
      // Already more errors than the limit allows over the minimum count: no number of
      // successful requests still to come in this interval can bring the rate back under it.
      errorCheck = check("error_rate_percent", rate, maxErrorRatePercent, "%", "breach", `error rate ${rateText} > ${limit}: even over the ${formatNumber(minRequests)}-request minimum it would be ${formatMeasure((errors / minRequests) * 100, "%")}`);
    } else {
      errorCheck = check("error_rate_percent", rate, maxErrorRatePercent, "%", "no_data", `error rate not judged: ${rateText}, fewer than the ${formatNumber(minRequests)} requests needed`);
    }
  }

  let latencyCheck: ThresholdCheck;
  const limit = formatMeasure(maxP99LatencyMs, "ms");
  if (p99 === null || !Number.isFinite(p99)) {
    latencyCheck = check("p99_latency_ms", null, maxP99LatencyMs, "ms", "no_data", "p99 latency not reported");
  } else if (!enough) {
    latencyCheck = check("p99_latency_ms", p99, maxP99LatencyMs, "ms", "no_data", `p99 latency ${formatMeasure(p99, "ms")} not judged: ${served || "unusable request count"}, fewer than the ${formatNumber(minRequests)} needed`);
  } else if (p99 > maxP99LatencyMs) {
    latencyCheck = check("p99_latency_ms", p99, maxP99LatencyMs, "ms", "breach", `p99 latency ${formatMeasure(p99, "ms")} > ${limit} over ${served}`);
  } else {
    latencyCheck = check("p99_latency_ms", p99, maxP99LatencyMs, "ms", "ok", `p99 latency ${formatMeasure(p99, "ms")} ≤ ${limit} over ${served}`);
  }

  const checks = [errorCheck, latencyCheck];
  const breaches = checks.filter((c) => c.status === "breach");
  const verdict = breaches.length > 0 ? "breach" : checks.some((c) => c.status === "no_data") ? "no_data" : "ok";
  const reason = (verdict === "breach" ? breaches : checks).map((c) => c.reason).join("; ");
  return { verdict, requests: countsValid ? requests : null, minRequests, checks, breaches, reason };
}

function isCount(value: number) {
  return Number.isFinite(value) && value >= 0;
}

function validateThresholds({ maxErrorRatePercent, maxP99LatencyMs, minRequests }: HardThresholds) {
  if (!(Number.isFinite(maxErrorRatePercent) && maxErrorRatePercent >= 0 && maxErrorRatePercent <= 100)) {
    throw new RangeError(`maxErrorRatePercent must be within 0–100, got ${maxErrorRatePercent}`);
  }
  if (!(Number.isFinite(maxP99LatencyMs) && maxP99LatencyMs > 0)) throw new RangeError(`maxP99LatencyMs must be positive, got ${maxP99LatencyMs}`);
  if (!(Number.isInteger(minRequests) && minRequests >= 1)) throw new RangeError(`minRequests must be a positive integer, got ${minRequests}`);
}
