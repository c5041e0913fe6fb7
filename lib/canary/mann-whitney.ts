/**
 * The Mann-Whitney U test (Wilcoxon rank-sum test), computed as scipy.stats.mannwhitneyu does:
 * midranks for ties, the tie-corrected normal approximation with an optional continuity
 * correction, and the exact null distribution for small samples without ties. Reference values
 * in test/fixtures/canary/mann-whitney.json come from SciPy itself.
 */
import { normalCdf } from "./normal-distribution";
import { assertSortedSample, sortFinite } from "./samples";

/** H1 for the first sample x: "greater" means x tends to be larger than y. */
export type Alternative = "two-sided" | "greater" | "less";
export type MannWhitneyMethod = "asymptotic" | "exact" | "auto";

/** What the ranks say, before any p-value: shared by every alternative. */
export interface RankSumStatistics {
  n1: number;
  n2: number;
  /** U of x: the number of pairs (xᵢ, yⱼ) with xᵢ > yⱼ, ties counting ½. */
  u1: number;
  /** U of y; u1 + u2 = n1·n2. */
  u2: number;
  /** Σ(t³ − t) over groups of tied values in the pooled sample. */
  tieTerm: number;
  ties: boolean;
}

export interface MannWhitneyResult extends RankSumStatistics {
  alternative: Alternative;
  method: "asymptotic" | "exact";
  pValue: number;
  /** The standardized statistic of the normal approximation; null for the exact method and when every value is tied. */
  z: number | null;
}

export interface MannWhitneyOptions {
  alternative?: Alternative;
  /** "auto" is exact when a sample has at most 8 values and there are no ties, as in SciPy. */
  method?: MannWhitneyMethod;
  /** The ½ continuity correction of the normal approximation (SciPy's use_continuity). */
  continuity?: boolean;
}

/**
 * Largest exact computation allowed: the smaller sample size times the number of U values the
 * tail needs. 8 × 10,000-value samples is 320,000; larger ones use the normal approximation.
 */
const EXACT_WORK_LIMIT = 2_000_000;

/** U and the tie term from two sorted samples in one merge, without materialising ranks. */
export function rankSumSorted(x: Float64Array, y: Float64Array): RankSumStatistics {
  const n1 = x.length;
  const n2 = y.length;
  let i = 0;
  let j = 0;
  let ranked = 0;
  let rankSumX = 0;
  let tieTerm = 0;
  let ties = false;
  while (i < n1 || j < n2) {
    const value = j >= n2 || (i < n1 && x[i] <= y[j]) ? x[i] : y[j];
    let inX = 0;
    while (i < n1 && x[i] === value) { i++; inX++; }
    let inY = 0;
    while (j < n2 && y[j] === value) { j++; inY++; }
    const group = inX + inY;
    // The group occupies ranks ranked+1 … ranked+group; each member gets their mean.
    rankSumX += inX * (ranked + (group + 1) / 2);
    tieTerm += group * group * group - group;
    if (group > 1) ties = true;
    ranked += group;
  }
  const u1 = rankSumX - (n1 * (n1 + 1)) / 2;
  return { n1, n2, u1, u2: n1 * n2 - u1, tieTerm, ties };
}

/** The Mann-Whitney test of two samples (NaN and ±Infinity are not allowed: filter them first). */
export function mannWhitneyU(x: ArrayLike<number>, y: ArrayLike<number>, options: MannWhitneyOptions = {}): MannWhitneyResult {
  const xs = sortFinite(x);
  const ys = sortFinite(y);
  if (xs.dropped > 0 || ys.dropped > 0) throw new RangeError("samples must hold finite numbers only");
  return mannWhitneyUSorted(xs.sorted, ys.sorted, options);
}

/** As mannWhitneyU, for samples already sorted ascending (no copy, no sort). */
export function mannWhitneyUSorted(x: Float64Array, y: Float64Array, options: MannWhitneyOptions = {}): MannWhitneyResult {
  assertSortedSample(x, "x");
  assertSortedSample(y, "y");
  return mannWhitneyPValue(rankSumSorted(x, y), options);
}

/** The p-value for one alternative from rank statistics computed once. */
export function mannWhitneyPValue(statistics: RankSumStatistics, options: MannWhitneyOptions = {}): MannWhitneyResult {
  const alternative = options.alternative ?? "two-sided";
  const requested = options.method ?? "auto";
  const { n1, n2, u1, u2, ties } = statistics;
  // SciPy: the upper tail of U1 for "greater", of U2 for "less" (by symmetry), of the larger
  // of the two for a two-sided test, whose p-value is then doubled.
  const u = alternative === "greater" ? u1 : alternative === "less" ? u2 : Math.max(u1, u2);
  const factor = alternative === "two-sided" ? 2 : 1;

  let method: "asymptotic" | "exact" = "asymptotic";
  if (requested === "exact") {
    if (ties) throw new RangeError("the exact Mann-Whitney distribution assumes no ties; use the asymptotic method");
    if (exactWork(n1, n2) > EXACT_WORK_LIMIT) throw new RangeError(`samples of ${n1} and ${n2} are too large for the exact method`);
    method = "exact";
  } else if (requested === "auto" && (n1 <= 8 || n2 <= 8) && !ties && exactWork(n1, n2) <= EXACT_WORK_LIMIT) {
    method = "exact";
  }

  if (method === "exact") {
    const pValue = clampProbability(factor * exactSurvival(u, n1, n2));
    return { ...statistics, alternative, method, pValue, z: null };
  }

  const n = n1 + n2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - statistics.tieTerm / (n * (n - 1))));
  if (sigma === 0) {
    // Every value is tied: the ranks carry no evidence. (SciPy gets 1 here too, through
    // z = −∞, with the continuity correction; without it SciPy returns NaN.)
    return { ...statistics, alternative, method, pValue: 1, z: null };
  }
  let numerator = u - (n1 * n2) / 2;
  if (options.continuity ?? true) numerator -= 0.5;
  const z = numerator / sigma;
  return { ...statistics, alternative, method, pValue: clampProbability(factor * normalCdf(-z)), z };
}

function clampProbability(p: number) {
  return Math.min(1, Math.max(0, p));
}

function exactWork(n1: number, n2: number) {
  return Math.min(n1, n2) * Math.floor((n1 * n2) / 2 + 1);
}

/**
 * P(U ≥ u) under H0 for samples of n1 and n2 without ties. The number of arrangements with a
 * given U are the coefficients of the Gaussian binomial [n1+n2 choose n1]_q
 * = ∏ᵢ₌₁..ₙ (1 − q^(n+i)) / (1 − q^i) (n the larger size), computed exactly with BigInt and only
 * up to the tail that is needed. As SciPy does, the upper tail of a U in the upper half is read
 * as the lower tail of its mirror image, so small p-values keep their precision.
 */
function exactSurvival(u: number, n1: number, n2: number): number {
  const small = Math.min(n1, n2);
  const large = Math.max(n1, n2);
  const mirror = small * large - u;
  const lowerHalf = u < mirror;
  const needed = lowerHalf ? u - 1 : mirror; // highest coefficient the tail sums
  if (needed < 0) return 1; // P(U ≥ 0)
  const counts = gaussianBinomialPrefix(small, large, needed);
  let tail = 0n;
  for (let k = 0; k <= needed; k++) tail += counts[k];
  const total = binomial(small + large, small);
  // Lower half: P(U ≥ u) = 1 − P(U ≤ u − 1). Upper half: P(U ≥ u) = P(U ≤ n1·n2 − u).
  return ratio(lowerHalf ? total - tail : tail, total);
}

function gaussianBinomialPrefix(small: number, large: number, highest: number): bigint[] {
  const counts = new Array<bigint>(highest + 1).fill(0n);
  counts[0] = 1n;
  for (let i = 1; i <= small; i++) {
    const shift = large + i;
    for (let k = highest; k >= shift; k--) counts[k] -= counts[k - shift]; // × (1 − q^(large+i))
    for (let k = i; k <= highest; k++) counts[k] += counts[k - i]; // ÷ (1 − q^i)
  }
  return counts;
}

function binomial(n: number, k: number): bigint {
  let result = 1n;
  for (let i = 1; i <= k; i++) result = (result * BigInt(n - k + i)) / BigInt(i);
  return result;
}

/** a/b for large integers, correctly rounded to about 1e-16 relative. */
function ratio(a: bigint, b: bigint): number {
  const excess = Math.max(0, b.toString(2).length - 1000);
  const shift = BigInt(excess);
  return Number(a >> shift) / Number(b >> shift);
}
