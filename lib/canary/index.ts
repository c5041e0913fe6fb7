/** Canary analysis: pure statistics and verdicts for the validation and deployment agents. */
export { evaluateInterval, type IntervalInput } from "./evaluate-interval";
export {
  compareMetric,
  compareSortedMetric,
  DEFAULT_CONFIDENCE_LEVEL,
  DEFAULT_MIN_SAMPLES,
  type ComparisonOptions,
  type MetricSamples,
  type MetricSpec,
} from "./compare-metric";
export { DEFAULT_SCORE_THRESHOLDS, scoreCanary } from "./canary-score";
export { checkHardThresholds, DEFAULT_MIN_REQUESTS, hardThresholdsFromPolicy, type CohortTraffic, type HardThresholds } from "./thresholds";
export {
  mannWhitneyPValue,
  mannWhitneyU,
  mannWhitneyUSorted,
  rankSumSorted,
  type Alternative,
  type MannWhitneyMethod,
  type MannWhitneyOptions,
  type MannWhitneyResult,
  type RankSumStatistics,
} from "./mann-whitney";
export {
  hodgesLehmann,
  hodgesLehmannSorted,
  kthPairwiseDifference,
  medianPairwiseDifference,
  selectPairwiseDifferences,
  shiftConfidenceRanks,
  type ShiftEstimate,
  type ShiftEstimateOptions,
} from "./hodges-lehmann";
export { normalCdf, normalQuantile, normalSurvival } from "./normal-distribution";
export { quantile, quantileSorted, sortFinite, type SortedSample } from "./samples";
export * from "./verdict-schema";
