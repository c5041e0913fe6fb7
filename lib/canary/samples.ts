/** A cohort's observations with the non-finite ones removed, sorted ascending. */
export interface SortedSample {
  sorted: Float64Array;
  /** How many values were NaN or ±Infinity and left out. */
  dropped: number;
}

/**
 * Sorts the finite values of a cohort. Metric sources report gaps as NaN (or null, which arrives
 * here as NaN after Number()); those are counted, never ranked, so a cohort with only gaps is
 * empty and its metric has no data.
 */
export function sortFinite(values: ArrayLike<number>): SortedSample {
  const sorted = new Float64Array(values.length);
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (Number.isFinite(value)) sorted[count++] = value;
  }
  const finite = count === values.length ? sorted : sorted.slice(0, count);
  finite.sort(); // typed arrays sort numerically
  return { sorted: finite, dropped: values.length - count };
}

/** Throws unless `sorted` is non-empty, finite and ascending: the contract of the *Sorted functions. */
export function assertSortedSample(sorted: Float64Array, label: string) {
  if (sorted.length === 0) throw new RangeError(`${label} is empty`);
  for (let i = 0; i < sorted.length; i++) {
    if (!Number.isFinite(sorted[i])) throw new RangeError(`${label} holds a non-finite value at ${i}`);
    if (i > 0 && sorted[i] < sorted[i - 1]) throw new RangeError(`${label} is not sorted ascending at ${i}`);
  }
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of a sorted sample with linear interpolation between order
 * statistics (Hyndman & Fan type 7), the default of numpy.quantile and R's quantile().
 * The interpolation is written the way NumPy's `_lerp` is, so the two agree to the last bit.
 */
export function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) throw new RangeError("quantile of an empty sample");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside [0, 1]`);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  if (below >= sorted.length - 1) return sorted[sorted.length - 1];
  const t = position - below;
  const a = sorted[below];
  const b = sorted[below + 1];
  const difference = b - a;
  return t >= 0.5 ? b - difference * (1 - t) : a + difference * t;
}

/** The q-quantile of the finite values of an unsorted sample; null when none is finite. */
export function quantile(values: ArrayLike<number>, q: number): number | null {
  const { sorted } = sortFinite(values);
  return sorted.length === 0 ? null : quantileSorted(sorted, q);
}

export function meanOf(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/**
 * Σ(t³ − t) over the groups of equal values in a sorted sample: the tie correction of the
 * rank-sum variance.
 */
export function tieTermSorted(sorted: Float64Array): number {
  let term = 0;
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) {
      run++;
    } else {
      term += run * run * run - run;
      run = 1;
    }
  }
  return term;
}
