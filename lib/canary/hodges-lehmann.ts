/**
 * The Hodges–Lehmann estimate of the shift between two cohorts (the median of all n·m
 * differences candidate − baseline) and Moses' distribution-free confidence interval for it,
 * without ever holding the n·m differences: 10,000 × 10,000 cohorts have 10⁸ of them.
 *
 * The differences form a matrix whose rows (candidate values, ascending) and columns (baseline
 * values, descending) are both sorted, so the number of differences ≤ d is counted in
 * O(n + m) with two pointers. Selecting the k-th smallest difference narrows, per row, the
 * range of columns that can still hold it: each round draws a random sample of the remaining
 * candidates, takes two pivots from the sample that bracket rank k, and counts against both.
 * A round keeps about a tenth of the candidates, so 10⁸ come down to a few thousand (then sorted
 * directly) in about six rounds, each costing a few passes over the two cohorts (Floyd–Rivest
 * style; Monahan's algorithm 616 does the same with one pivot per round).
 */
import { normalQuantile } from "./normal-distribution";
import { assertSortedSample, sortFinite, tieTermSorted } from "./samples";

export interface ShiftEstimate {
  /** The Hodges–Lehmann estimate: the median of candidate − baseline over all pairs. */
  estimate: number;
  /** Moses' confidence interval for the shift: two order statistics of the pairwise differences. */
  lower: number;
  upper: number;
  confidenceLevel: number;
  /** The 1-based ranks of `lower` and `upper` among the n·m sorted differences. */
  lowerRank: number;
  upperRank: number;
  pairs: number;
}

export interface ShiftEstimateOptions {
  /** Two-sided confidence level of the interval, 0 < level < 1. Default 0.95. */
  confidenceLevel?: number;
}

/** Beyond this many remaining candidates a round samples and counts; at or below it they are sorted. */
const GATHER_LIMIT = 4096;
const SAMPLE_SIZE = 1024;

export function hodgesLehmann(candidate: ArrayLike<number>, baseline: ArrayLike<number>, options: ShiftEstimateOptions = {}): ShiftEstimate {
  const c = sortFinite(candidate);
  const b = sortFinite(baseline);
  if (c.dropped > 0 || b.dropped > 0) throw new RangeError("samples must hold finite numbers only");
  return hodgesLehmannSorted(c.sorted, b.sorted, options);
}

/** As hodgesLehmann, for cohorts already sorted ascending. */
export function hodgesLehmannSorted(candidate: Float64Array, baseline: Float64Array, options: ShiftEstimateOptions = {}): ShiftEstimate {
  assertSortedSample(candidate, "candidate");
  assertSortedSample(baseline, "baseline");
  const confidenceLevel = options.confidenceLevel ?? 0.95;
  const pairs = candidate.length * baseline.length;
  const { lowerRank, upperRank } = shiftConfidenceRanks(
    candidate.length,
    baseline.length,
    tieTermSorted(candidate) + tieTermSorted(baseline),
    confidenceLevel,
  );
  return {
    estimate: medianPairwiseDifference(candidate, baseline),
    lower: kthPairwiseDifference(candidate, baseline, lowerRank),
    upper: kthPairwiseDifference(candidate, baseline, upperRank),
    confidenceLevel,
    lowerRank,
    upperRank,
    pairs,
  };
}

/**
 * The ranks of Moses' interval under the normal approximation with continuity correction:
 * k = ⌈N/2 − ½ − z·σ⌉ and N + 1 − k, where N = n·m, z the upper α/2 normal quantile and σ the
 * standard deviation of U. This is the large-sample form of R's exact rule (qwilcox), and the
 * pair of order statistics that R's wilcox.test(conf.int = TRUE, exact = FALSE) converges to with
 * its root search. Ties inside a cohort shrink σ as in the test; ties between the cohorts depend
 * on the shift and do not count (they vanish for almost every shift R's search tries).
 */
export function shiftConfidenceRanks(n: number, m: number, tieTermWithinCohorts: number, confidenceLevel: number) {
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) throw new RangeError(`confidence level ${confidenceLevel} is outside (0, 1)`);
  const pairs = n * m;
  const alpha = 1 - confidenceLevel;
  const z = -normalQuantile(alpha / 2);
  const total = n + m;
  const sigma = Math.sqrt(((n * m) / 12) * (total + 1 - tieTermWithinCohorts / (total * (total - 1))));
  const lowerRank = Math.min(Math.max(Math.ceil(pairs / 2 - 0.5 - z * sigma), 1), pairs);
  return { lowerRank, upperRank: pairs + 1 - lowerRank, z, sigma };
}

/** The median of all candidate − baseline differences, as numpy.median would give it. */
export function medianPairwiseDifference(candidate: Float64Array, baseline: Float64Array): number {
  const pairs = candidate.length * baseline.length;
  if (pairs % 2 === 1) return kthPairwiseDifference(candidate, baseline, (pairs + 1) / 2);
  const lowerMiddle = kthPairwiseDifference(candidate, baseline, pairs / 2);
  const atMost = countDifferences(candidate, baseline, lowerMiddle, null, null).atMost;
  const upperMiddle = atMost > pairs / 2 ? lowerMiddle : smallestDifferenceAbove(candidate, baseline, lowerMiddle);
  return (lowerMiddle + upperMiddle) / 2;
}

/** Difference (row i, column j) of the sorted matrix: candidate[i] − baseline[m − 1 − j]. */
function difference(candidate: Float64Array, baseline: Float64Array, i: number, j: number) {
  return candidate[i] - baseline[baseline.length - 1 - j];
}

/**
 * Counts the differences below and at-or-below `pivot`, and per row how many columns lie below /
 * at-or-below it. Rows and columns are both ascending, so as the row grows the counts can only
 * shrink: one pass over rows and columns.
 *
 * Every comparison is made on the computed difference candidate[i] − baseline[k] (never on a
 * rearranged form such as candidate[i] − pivot), so the order is exactly that of the floating-
 * point differences a brute force would sort. Rounding is monotonic, so the matrix of computed
 * differences stays sorted.
 */
function countDifferences(
  candidate: Float64Array,
  baseline: Float64Array,
  pivot: number,
  belowPerRow: Int32Array | null,
  atMostPerRow: Int32Array | null,
) {
  const m = baseline.length;
  let jBelow = m;
  let jAtMost = m;
  let below = 0;
  let atMost = 0;
  for (let i = 0; i < candidate.length; i++) {
    const value = candidate[i];
    while (jBelow > 0 && value - baseline[m - jBelow] >= pivot) jBelow--;
    while (jAtMost > 0 && value - baseline[m - jAtMost] > pivot) jAtMost--;
    if (belowPerRow) belowPerRow[i] = jBelow;
    if (atMostPerRow) atMostPerRow[i] = jAtMost;
    below += jBelow;
    atMost += jAtMost;
  }
  return { below, atMost };
}

function smallestDifferenceAbove(candidate: Float64Array, baseline: Float64Array, value: number) {
  const m = baseline.length;
  let jAtMost = m;
  let smallest = Infinity;
  for (let i = 0; i < candidate.length; i++) {
    while (jAtMost > 0 && candidate[i] - baseline[m - jAtMost] > value) jAtMost--;
    if (jAtMost < m) smallest = Math.min(smallest, difference(candidate, baseline, i, jAtMost));
  }
  return smallest;
}

/**
 * The k-th smallest (1-based) of the n·m differences candidate[i] − baseline[j], for cohorts
 * sorted ascending, in O((n + m) · rounds) time and O(n) memory.
 */
export function kthPairwiseDifference(candidate: Float64Array, baseline: Float64Array, k: number): number {
  const n = candidate.length;
  const m = baseline.length;
  const pairs = n * m;
  if (!Number.isInteger(k) || k < 1 || k > pairs) throw new RangeError(`rank ${k} is outside 1…${pairs}`);

  // Per row, the columns [lo, hi) can still hold the k-th difference: those left of lo are
  // known to be smaller, those from hi on larger.
  const lo = new Int32Array(n);
  const hi = new Int32Array(n).fill(m);
  const lowBelow = new Int32Array(n);
  const lowAtMost = new Int32Array(n);
  const highBelow = new Int32Array(n);
  const highAtMost = new Int32Array(n);
  // Seeded from the inputs' shape: the same call gives the same pivots, so the function is pure.
  const random = mulberry32(Math.imul(n, 73_856_093) ^ Math.imul(m, 19_349_663) ^ Math.imul(k, 83_492_791));

  for (;;) {
    let remaining = 0;
    let smaller = 0;
    for (let i = 0; i < n; i++) {
      remaining += hi[i] - lo[i];
      smaller += lo[i];
    }
    const rank = k - smaller; // rank of the target among the remaining candidates
    if (remaining <= GATHER_LIMIT) {
      const left = new Float64Array(remaining);
      let at = 0;
      for (let i = 0; i < n; i++) for (let j = lo[i]; j < hi[i]; j++) left[at++] = difference(candidate, baseline, i, j);
      left.sort();
      return left[rank - 1];
    }

    const sample = sampleCandidates(candidate, baseline, lo, hi, remaining, random);
    // Where the target should fall in the sorted sample, and a margin of three binomial
    // standard deviations each side so that both pivots usually bracket it.
    const fraction = rank / remaining;
    const expected = fraction * sample.length;
    const margin = 3 * Math.sqrt(sample.length * fraction * (1 - fraction)) + 1;
    const lowPivot = sample[Math.max(0, Math.floor(expected - margin))];
    const highPivot = sample[Math.min(sample.length - 1, Math.ceil(expected + margin))];

    const low = countDifferences(candidate, baseline, lowPivot, lowBelow, lowAtMost);
    if (k <= low.below) {
      for (let i = 0; i < n; i++) hi[i] = Math.min(hi[i], lowBelow[i]);
      continue;
    }
    if (k <= low.atMost) return lowPivot;
    const high = countDifferences(candidate, baseline, highPivot, highBelow, highAtMost);
    for (let i = 0; i < n; i++) lo[i] = Math.max(lo[i], lowAtMost[i]);
    if (k <= high.below) {
      for (let i = 0; i < n; i++) hi[i] = Math.min(hi[i], highBelow[i]);
      continue;
    }
    if (k <= high.atMost) return highPivot;
    for (let i = 0; i < n; i++) lo[i] = Math.max(lo[i], highAtMost[i]);
  }
}

/** SAMPLE_SIZE differences drawn uniformly (with replacement) from the remaining candidates, sorted. */
function sampleCandidates(
  candidate: Float64Array,
  baseline: Float64Array,
  lo: Int32Array,
  hi: Int32Array,
  remaining: number,
  random: () => number,
) {
  const positions = new Float64Array(SAMPLE_SIZE);
  for (let s = 0; s < SAMPLE_SIZE; s++) positions[s] = Math.floor(random() * remaining);
  positions.sort();
  const sample = new Float64Array(SAMPLE_SIZE);
  let row = 0;
  let rowStart = 0; // position of the row's first candidate in the flattened remaining set
  for (let s = 0; s < SAMPLE_SIZE; s++) {
    while (positions[s] >= rowStart + (hi[row] - lo[row])) {
      rowStart += hi[row] - lo[row];
      row++;
    }
    sample[s] = difference(candidate, baseline, row, lo[row] + (positions[s] - rowStart));
  }
  return sample.sort();
}

/** A small, fast, seedable PRNG (Tommy Ettinger's mulberry32): uniform in [0, 1). */
function mulberry32(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
