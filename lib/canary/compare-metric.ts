/**
 * One metric, candidate against baseline, in the manner of Kayenta's Mann-Whitney classifier:
 * the Hodges–Lehmann shift and its confidence interval are held against a tolerance band in the
 * metric's bad direction.
 *
 *   allowed = max(tolerance × |baseline median|, minAllowedShift)
 *   fail      the whole interval is worse than allowed (a regression beyond tolerance, with
 *             the stated confidence)
 *   marginal  the estimate is worse than allowed, but the interval reaches back inside it
 *             (suspicious, not established)
 *   pass      the estimate is within the allowed shift (improvements always pass)
 *   no_data   a cohort has fewer than `minSamples` finite observations
 */
import { formatMeasure, formatNumber, formatPercent, formatShift } from "./format";
import { hodgesLehmannSorted } from "./hodges-lehmann";
import { mannWhitneyPValue, rankSumSorted } from "./mann-whitney";
import { meanOf, quantileSorted, sortFinite, type SortedSample } from "./samples";
import type { CohortSummary, MetricComparison, MetricDirection } from "./verdict-schema";

export interface MetricSpec {
  /** As the metric source names it, e.g. "latency_ms", "error_rate". */
  name: string;
  /** Shown after values in reasons: "ms", "%", "req/s". */
  unit?: string | null;
  /** "increase_is_bad" for latency and errors; "decrease_is_bad" for throughput, success rate. */
  direction: MetricDirection;
  /** The allowed shift in the bad direction, as a fraction of the baseline median (0.1 = 10%). */
  tolerance: number;
  /**
   * A floor for the allowed shift in the metric's unit. A relative tolerance of a baseline whose
   * median is 0 (error counts) allows nothing; this allows, say, 1 error per interval.
   */
  minAllowedShift?: number;
  /** A critical metric that fails fails the canary whatever the score. */
  critical?: boolean;
  /** Its share of the canary score; default 1. */
  weight?: number;
}

export interface ComparisonOptions {
  /** Two-sided confidence level of the shift interval. Default 0.98, as Kayenta's judge. */
  confidenceLevel?: number;
  /** Finite observations each cohort needs before it is judged. Default 10. */
  minSamples?: number;
}

export const DEFAULT_CONFIDENCE_LEVEL = 0.98;
export const DEFAULT_MIN_SAMPLES = 10;

export interface MetricSamples {
  baseline: ArrayLike<number>;
  candidate: ArrayLike<number>;
}

export function compareMetric(spec: MetricSpec, samples: MetricSamples, options: ComparisonOptions = {}): MetricComparison {
  return compareSortedMetric(spec, { baseline: sortFinite(samples.baseline), candidate: sortFinite(samples.candidate) }, options);
}

/** As compareMetric, for cohorts already passed through sortFinite (the sort is most of the cost). */
export function compareSortedMetric(
  spec: MetricSpec,
  cohorts: { baseline: SortedSample; candidate: SortedSample },
  options: ComparisonOptions = {},
): MetricComparison {
  validateSpec(spec);
  const confidenceLevel = options.confidenceLevel ?? DEFAULT_CONFIDENCE_LEVEL;
  const minSamples = options.minSamples ?? DEFAULT_MIN_SAMPLES;
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) throw new RangeError(`confidence level ${confidenceLevel} is outside (0, 1)`);
  if (!Number.isInteger(minSamples) || minSamples < 1) throw new RangeError(`minSamples must be a positive integer, got ${minSamples}`);

  const unit = spec.unit ?? null;
  const baseline = cohorts.baseline.sorted;
  const candidate = cohorts.candidate.sorted;
  const common = {
    name: spec.name,
    unit,
    direction: spec.direction,
    critical: spec.critical ?? false,
    weight: spec.weight ?? 1,
    tolerance: spec.tolerance,
    baseline: summarize(cohorts.baseline),
    candidate: summarize(cohorts.candidate),
  };

  if (baseline.length < minSamples || candidate.length < minSamples) {
    return {
      ...common,
      verdict: "no_data",
      reason: `${spec.name}: no data to judge: ${cohortCount("baseline", cohorts.baseline)}, ${cohortCount("candidate", cohorts.candidate)}; each needs at least ${minSamples}`,
      shift: null,
      interval: null,
      allowedShift: null,
      relativeShift: null,
      probabilityWorse: null,
      pValue: null,
    };
  }

  const increaseIsBad = spec.direction === "increase_is_bad";
  const ranks = rankSumSorted(candidate, baseline);
  const pValue = mannWhitneyPValue(ranks, { alternative: increaseIsBad ? "greater" : "less", method: "asymptotic" }).pValue;
  // U of the candidate counts pairs where the candidate is higher (ties ½).
  const probabilityHigher = ranks.u1 / (ranks.n1 * ranks.n2);
  const shift = hodgesLehmannSorted(candidate, baseline, { confidenceLevel });

  const baselineMedian = common.baseline.median!;
  const relativeAllowance = spec.tolerance * Math.abs(baselineMedian);
  const allowedShift = Math.max(relativeAllowance, spec.minAllowedShift ?? 0);
  // Both ends of the interval and the estimate measured as "how much worse", whatever the direction.
  const worse = (d: number) => (increaseIsBad ? d : -d);
  const nearEnd = increaseIsBad ? shift.lower : shift.upper;
  const verdict = worse(nearEnd) > allowedShift ? "fail" : worse(shift.estimate) > allowedShift ? "marginal" : "pass";

  const level = formatPercent(confidenceLevel);
  const shiftText = `shift ${formatShift(shift.estimate, unit)} (${level} CI ${formatShift(shift.lower, unit)} to ${formatShift(shift.upper, unit)})`;
  const badWord = increaseIsBad ? "increase" : "decrease";
  const allowance =
    `the allowed ${badWord} of ${formatMeasure(allowedShift, unit)}` +
    (allowedShift === relativeAllowance
      ? ` (${formatPercent(spec.tolerance)} of the baseline median ${formatMeasure(baselineMedian, unit)})`
      : ` (the minimum allowed shift)`);
  const medians = `baseline median ${formatMeasure(baselineMedian, unit)}, candidate ${formatMeasure(common.candidate.median!, unit)}`;
  const finding =
    verdict === "fail"
      ? `the whole interval is beyond ${allowance}: ${shiftText}`
      : verdict === "marginal"
        ? `${shiftText} exceeds ${allowance}, but the interval reaches back within it`
        : `${shiftText} is within ${allowance}`;

  return {
    ...common,
    verdict,
    reason: `${spec.name}: ${finding}; ${medians}; one-sided p = ${formatNumber(pValue)}`,
    shift: shift.estimate,
    interval: { lower: shift.lower, upper: shift.upper, confidenceLevel },
    allowedShift,
    relativeShift: baselineMedian === 0 ? null : shift.estimate / Math.abs(baselineMedian),
    probabilityWorse: increaseIsBad ? probabilityHigher : 1 - probabilityHigher,
    pValue,
  };
}

function validateSpec(spec: MetricSpec) {
  if (!spec.name) throw new RangeError("a metric needs a name");
  if (!(Number.isFinite(spec.tolerance) && spec.tolerance >= 0)) throw new RangeError(`${spec.name}: tolerance must be a finite number ≥ 0`);
  if (spec.minAllowedShift !== undefined && !(Number.isFinite(spec.minAllowedShift) && spec.minAllowedShift >= 0)) {
    throw new RangeError(`${spec.name}: minAllowedShift must be a finite number ≥ 0`);
  }
  if (spec.weight !== undefined && !(Number.isFinite(spec.weight) && spec.weight >= 0)) throw new RangeError(`${spec.name}: weight must be a finite number ≥ 0`);
}

function summarize({ sorted, dropped }: SortedSample): CohortSummary {
  if (sorted.length === 0) return { count: 0, dropped, median: null, mean: null, p99: null };
  return { count: sorted.length, dropped, median: quantileSorted(sorted, 0.5), mean: meanOf(sorted), p99: quantileSorted(sorted, 0.99) };
}

function cohortCount(label: string, { sorted, dropped }: SortedSample) {
  return `${label} has ${sorted.length} sample${sorted.length === 1 ? "" : "s"}` + (dropped > 0 ? ` (${dropped} not finite, left out)` : "");
}
