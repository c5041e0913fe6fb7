import { describe, expect, it } from "vitest";
import { downsampleMinMax } from "@/lib/deployments/downsample";

interface Point {
  t: number;
  v: number;
}
const axes = { x: (p: Point) => p.t, y: (p: Point) => p.v };

/** A deterministic pseudo-random sequence (LCG), so a failure reproduces. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** 10,000 intervals of 10 s around 0.1 % errors with noise, like a canary's error rate. */
function noisySeries(count = 10_000, seed = 7): Point[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => ({ t: 1_700_000_000_000 + i * 10_000, v: 0.1 + next() * 0.05 }));
}

describe("min/max bucket downsampling", () => {
  it("returns every drawable point when there are no more than asked for, leaving out NaN and Infinity", () => {
    const points = [
      { t: 1, v: 2 },
      { t: 2, v: Number.NaN },
      { t: 3, v: 5 },
      { t: 4, v: Number.POSITIVE_INFINITY },
      { t: Number.NaN, v: 1 },
      { t: 5, v: 1 },
    ];
    expect(downsampleMinMax(points, { maxPoints: 10, ...axes })).toEqual([points[0], points[2], points[5]]);
  });

  it("keeps a one-interval spike among 10,000 samples, and the deepest dip", () => {
    const points = noisySeries();
    points[6_123] = { ...points[6_123], v: 2.4 }; // the interval that trips a 0.5 % threshold
    points[2_001] = { ...points[2_001], v: 0 };
    const shown = downsampleMinMax(points, { maxPoints: 600, ...axes });
    expect(shown.length).toBeLessThanOrEqual(600);
    expect(shown.length).toBeGreaterThan(300);
    expect(shown).toContain(points[6_123]);
    expect(shown).toContain(points[2_001]);
    expect(Math.max(...shown.map((p) => p.v))).toBe(2.4);
  });

  it("returns the input's own objects, in x order, starting with the first and ending with the last", () => {
    const points = noisySeries(5_000, 3);
    const shown = downsampleMinMax(points, { maxPoints: 101, ...axes });
    expect(shown.length).toBeLessThanOrEqual(101);
    expect(shown[0]).toBe(points[0]);
    expect(shown.at(-1)).toBe(points.at(-1));
    const indices = shown.map((p) => points.indexOf(p));
    expect(indices.every((index) => index >= 0)).toBe(true);
    expect(indices).toEqual([...indices].sort((a, b) => a - b));
    expect(new Set(indices).size).toBe(indices.length);
  });

  it("loses no peak or trough by more than one bucket's width, whatever the series", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = random(seed);
      // Bursty: mostly flat with occasional spikes of random height, at irregular times.
      let t = 0;
      const points = Array.from({ length: 3_000 }, () => {
        t += 1 + Math.floor(next() * 20);
        return { t, v: next() < 0.02 ? 10 + next() * 90 : next() };
      });
      const maxPoints = 200;
      const shown = downsampleMinMax(points, { maxPoints, ...axes });
      const bucketWidth = (points.at(-1)!.t - points[0].t) / Math.floor((maxPoints - 2) / 2);
      const lost = points.filter((point) => {
        const near = shown.filter((s) => Math.abs(s.t - point.t) <= bucketWidth).map((s) => s.v);
        return Math.max(...near) < point.v || Math.min(...near) > point.v;
      });
      expect(lost, `seed ${seed}`).toEqual([]);
    }
  });

  it("leaves a gap in the data empty instead of inventing points in it", () => {
    const before = Array.from({ length: 1_000 }, (_, i) => ({ t: i, v: i % 7 }));
    const after = Array.from({ length: 1_000 }, (_, i) => ({ t: 100_000 + i, v: i % 5 }));
    const shown = downsampleMinMax([...before, ...after], { maxPoints: 100, ...axes });
    expect(shown.filter((p) => p.t > 999 && p.t < 100_000)).toEqual([]);
    // Both sides keep their own extremes.
    expect(Math.max(...shown.filter((p) => p.t < 1_000).map((p) => p.v))).toBe(6);
    expect(Math.max(...shown.filter((p) => p.t >= 100_000).map((p) => p.v))).toBe(4);
  });

  it("handles points that all share one time", () => {
    const points = Array.from({ length: 50 }, (_, i) => ({ t: 5, v: (i * 37) % 50 }));
    const shown = downsampleMinMax(points, { maxPoints: 10, ...axes });
    expect(shown.length).toBeLessThanOrEqual(10);
    expect(shown.map((p) => p.v)).toContain(49);
    expect(shown.map((p) => p.v)).toContain(0);
  });

  it("refuses input that is not sorted by x, and a budget too small to draw a line", () => {
    expect(() =>
      downsampleMinMax(
        [
          { t: 2, v: 1 },
          { t: 1, v: 1 },
        ],
        { maxPoints: 10, ...axes },
      ),
    ).toThrow(/sorted by x \(index 1/);
    expect(() => downsampleMinMax(noisySeries(10), { maxPoints: 3, ...axes })).toThrow(RangeError);
    expect(() => downsampleMinMax(noisySeries(10), { maxPoints: 12.5, ...axes })).toThrow(RangeError);
  });
});
