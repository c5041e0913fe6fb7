/**
 * Downsampling for line charts that must not hide spikes. A canary is rolled back on a single bad
 * interval, so an average (or every n-th point) would smooth away the very sample that tripped it.
 * Instead the x range is cut into equal-width buckets (one per pair of output points, roughly one
 * per pixel column) and each bucket keeps its lowest and its highest point: the drawn envelope is
 * the same as the raw series', with a bounded number of points.
 */

export interface DownsampleOptions<T> {
  /** At most this many points come back (≥ 4). */
  maxPoints: number;
  x: (point: T) => number;
  y: (point: T) => number;
}

/**
 * Returns a subset of `points` (the same objects, in their original order) of at most
 * `maxPoints`: the first and last point, and the minimum and maximum of every bucket. Points whose
 * x or y is not a finite number cannot be drawn and are left out. `points` must be sorted by x.
 */
export function downsampleMinMax<T>(points: readonly T[], { maxPoints, x, y }: DownsampleOptions<T>): T[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 4) throw new RangeError(`maxPoints must be an integer of at least 4, got ${maxPoints}`);
  const drawable = points.filter((point) => Number.isFinite(x(point)) && Number.isFinite(y(point)));
  for (let i = 1; i < drawable.length; i++) {
    if (x(drawable[i]) < x(drawable[i - 1])) throw new RangeError(`points must be sorted by x (index ${i} goes back in time)`);
  }
  if (drawable.length <= maxPoints) return drawable;

  const first = 0;
  const last = drawable.length - 1;
  const bucketCount = Math.floor((maxPoints - 2) / 2);
  const start = x(drawable[first]);
  const span = x(drawable[last]) - start;
  // Per bucket, the index of its lowest and highest point (ties: the earliest).
  const minIndex = new Int32Array(bucketCount).fill(-1);
  const maxIndex = new Int32Array(bucketCount).fill(-1);
  for (let i = first + 1; i < last; i++) {
    const offset = span === 0 ? 0 : (x(drawable[i]) - start) / span;
    const bucket = Math.min(bucketCount - 1, Math.floor(offset * bucketCount));
    const value = y(drawable[i]);
    if (minIndex[bucket] === -1 || value < y(drawable[minIndex[bucket]])) minIndex[bucket] = i;
    if (maxIndex[bucket] === -1 || value > y(drawable[maxIndex[bucket]])) maxIndex[bucket] = i;
  }

  const kept: number[] = [first];
  for (let bucket = 0; bucket < bucketCount; bucket++) {
    const low = minIndex[bucket];
    const high = maxIndex[bucket];
    if (low === -1) continue; // an empty bucket: a gap in the data stays a gap
    if (low === high) kept.push(low);
    else kept.push(Math.min(low, high), Math.max(low, high));
  }
  kept.push(last);
  return kept.map((index) => drawable[index]);
}
