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
 * directly) in about five rounds, each costing two passes over the two cohorts (Floyd–Rivest
 * style; Monahan's algorithm 616 does the same with one pivot per round). The estimate and both
 * ends of the interval are selected together: their ranks lie within a few percent of each
 * other, so the first round brackets all of them, and they part only when their ranks do.
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
  // numpy.median: the middle difference, or the mean of the two middle ones.
  const middle = pairs % 2 === 1 ? [(pairs + 1) / 2] : [pairs / 2, pairs / 2 + 1];
  const [lower, upper, ...middles] = selectPairwiseDifferences(candidate, baseline, [lowerRank, upperRank, ...middle]);
  return {
    estimate: middles.length === 1 ? middles[0] : (middles[0] + middles[1]) / 2,
    lower,
    upper,
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
  const [a, b] = selectPairwiseDifferences(candidate, baseline, [pairs / 2, pairs / 2 + 1]);
  return (a + b) / 2;
}

/** The k-th smallest (1-based) of the n·m differences candidate[i] − baseline[j], for cohorts sorted ascending. */
export function kthPairwiseDifference(candidate: Float64Array, baseline: Float64Array, k: number): number {
  return selectPairwiseDifferences(candidate, baseline, [k])[0];
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
function countDifferences(candidate: Float64Array, baseline: Float64Array, pivot: number, belowPerRow: Int32Array, atMostPerRow: Int32Array) {
  const m = baseline.length;
  let jAtMost = m;
  let below = 0;
  let atMost = 0;
  for (let i = 0; i < candidate.length; i++) {
    const value = candidate[i];
    while (jAtMost > 0 && value - baseline[m - jAtMost] > pivot) jAtMost--;
    // Below the pivot: the same columns less those equal to it, which end the row's run (rarely
    // more than one). One data-dependent loop per row instead of two keeps the pass cheap.
    let jBelow = jAtMost;
    while (jBelow > 0 && value - baseline[m - jBelow] === pivot) jBelow--;
    belowPerRow[i] = jBelow;
    atMostPerRow[i] = jAtMost;
    below += jBelow;
    atMost += jAtMost;
  }
  return { below, atMost };
}

/**
 * Per row, the columns [lo, hi) that can still hold the wanted differences: those left of lo
 * are known to be smaller, those from hi on larger. `ranks` are the wanted ranks (1-based,
 * among all n·m differences), ascending.
 */
interface Region {
  lo: Int32Array;
  hi: Int32Array;
  ranks: number[];
}

/**
 * The differences at the given 1-based ranks, in the order given, in O((n + m) · rounds) time
 * and O(n) memory per group of ranks still apart.
 */
export function selectPairwiseDifferences(candidate: Float64Array, baseline: Float64Array, ranks: readonly number[]): number[] {
  const n = candidate.length;
  const m = baseline.length;
  const pairs = n * m;
  for (const k of ranks) if (!Number.isInteger(k) || k < 1 || k > pairs) throw new RangeError(`rank ${k} is outside 1…${pairs}`);
  const found = new Map<number, number>();
  const wanted = [...new Set(ranks)].sort((a, b) => a - b);
  if (wanted.length === 0) return [];

  // Seeded from the inputs' shape: the same call draws the same samples, so the function is pure.
  const random = mulberry32(Math.imul(n, 73_856_093) ^ Math.imul(m, 19_349_663) ^ Math.imul(wanted[0], 83_492_791));
  const lowBelow = new Int32Array(n);
  const lowAtMost = new Int32Array(n);
  const highBelow = new Int32Array(n);
  const highAtMost = new Int32Array(n);
  const pending: Region[] = [{ lo: new Int32Array(n), hi: new Int32Array(n).fill(m), ranks: wanted }];

  for (let region = pending.pop(); region; region = pending.pop()) {
    const { lo, hi } = region;
    let remaining = 0;
    let smaller = 0;
    for (let i = 0; i < n; i++) {
      remaining += hi[i] - lo[i];
      smaller += lo[i];
    }

    if (remaining <= GATHER_LIMIT) {
      const left = new Float64Array(remaining);
      let at = 0;
      for (let i = 0; i < n; i++) for (let j = lo[i]; j < hi[i]; j++) left[at++] = difference(candidate, baseline, i, j);
      left.sort();
      for (const k of region.ranks) found.set(k, left[k - smaller - 1]);
      continue;
    }

    // Ranks far apart (relative to what is left) part here: one sample cannot bracket both
    // tightly. Neighbours, like the two middle ranks of the median, stay together.
    const groups = splitRanks(region.ranks, remaining);
    if (groups.length > 1) {
      groups.forEach((ranksOfGroup, g) => pending.push({ lo: g === 0 ? lo : lo.slice(), hi: g === 0 ? hi : hi.slice(), ranks: ranksOfGroup }));
      continue;
    }

    const first = region.ranks[0] - smaller;
    const last = region.ranks[region.ranks.length - 1] - smaller;
    const [lowPivot, highPivot] = bracketingPivots(candidate, baseline, region, remaining, first, last, random);

    // Ranks at or below the low pivot's, between the pivots, and above the high pivot's.
    const low = countDifferences(candidate, baseline, lowPivot, lowBelow, lowAtMost);
    const below: number[] = [];
    const between: number[] = [];
    const above: number[] = [];
    for (const k of region.ranks) {
      if (k <= low.below) below.push(k);
      else if (k <= low.atMost) found.set(k, lowPivot);
      else between.push(k);
    }
    if (below.length > 0) {
      const hiBelow = between.length > 0 ? hi.slice() : hi;
      for (let i = 0; i < n; i++) hiBelow[i] = Math.min(hiBelow[i], lowBelow[i]);
      pending.push({ lo: between.length > 0 ? lo.slice() : lo, hi: hiBelow, ranks: below });
    }
    if (between.length === 0) continue;
    for (let i = 0; i < n; i++) lo[i] = Math.max(lo[i], lowAtMost[i]);

    const high = countDifferences(candidate, baseline, highPivot, highBelow, highAtMost);
    const inside: number[] = [];
    for (const k of between) {
      if (k <= high.below) inside.push(k);
      else if (k <= high.atMost) found.set(k, highPivot);
      else above.push(k);
    }
    if (above.length > 0) {
      const loAbove = inside.length > 0 ? lo.slice() : lo;
      for (let i = 0; i < n; i++) loAbove[i] = Math.max(loAbove[i], highAtMost[i]);
      pending.push({ lo: loAbove, hi: inside.length > 0 ? hi.slice() : hi, ranks: above });
    }
    if (inside.length > 0) {
      for (let i = 0; i < n; i++) hi[i] = Math.min(hi[i], highBelow[i]);
      pending.push({ lo, hi, ranks: inside });
    }
  }
  return ranks.map((k) => found.get(k)!);
}

/** Ranks closer than this share of the remaining candidates are bracketed together. */
const SPLIT_SHARE = 0.1;

function splitRanks(ranks: number[], remaining: number): number[][] {
  const groups: number[][] = [[ranks[0]]];
  for (let r = 1; r < ranks.length; r++) {
    if (ranks[r] - ranks[r - 1] > SPLIT_SHARE * remaining) groups.push([ranks[r]]);
    else groups[groups.length - 1].push(ranks[r]);
  }
  return groups;
}

/**
 * Two candidates from a random sample of the region that, with high probability, enclose the
 * remaining ranks first…last (1-based within the region): where those ranks should fall in the
 * sorted sample, widened by three binomial standard deviations each side.
 */
function bracketingPivots(candidate: Float64Array, baseline: Float64Array, region: Region, remaining: number, first: number, last: number, random: () => number) {
  const sample = sampleCandidates(candidate, baseline, region, remaining, random);
  const size = sample.length;
  const margin = (rank: number) => {
    const fraction = rank / remaining;
    return 3 * Math.sqrt(size * fraction * (1 - fraction)) + 1;
  };
  const lowIndex = Math.max(0, Math.floor((first / remaining) * size - margin(first)));
  const highIndex = Math.min(size - 1, Math.ceil((last / remaining) * size + margin(last)));
  return [sample[lowIndex], sample[highIndex]] as const;
}

/** SAMPLE_SIZE differences drawn uniformly (with replacement) from the region's candidates, sorted. */
function sampleCandidates(candidate: Float64Array, baseline: Float64Array, { lo, hi }: Region, remaining: number, random: () => number) {
  // Sorted uniform positions without a sort: normalised partial sums of exponential spacings.
  const spacings = new Float64Array(SAMPLE_SIZE + 1);
  let total = 0;
  for (let s = 0; s <= SAMPLE_SIZE; s++) {
    total -= Math.log(1 - random());
    spacings[s] = total;
  }
  const sample = new Float64Array(SAMPLE_SIZE);
  let row = 0;
  let rowStart = 0; // position of the row's first candidate in the flattened region
  for (let s = 0; s < SAMPLE_SIZE; s++) {
    const position = Math.min(remaining - 1, Math.floor((spacings[s] / total) * remaining));
    while (position >= rowStart + (hi[row] - lo[row])) {
      rowStart += hi[row] - lo[row];
      row++;
    }
    sample[s] = difference(candidate, baseline, row, lo[row] + (position - rowStart));
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
