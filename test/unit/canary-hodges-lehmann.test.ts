import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  hodgesLehmann,
  hodgesLehmannSorted,
  kthPairwiseDifference,
  medianPairwiseDifference,
  selectPairwiseDifferences,
  shiftConfidenceRanks,
} from "@/lib/canary/hodges-lehmann";
import { sortFinite, tieTermSorted } from "@/lib/canary/samples";

interface Case {
  name: string;
  candidate: number[];
  baseline: number[];
  confidence_level: number;
  pairs: number;
  estimate: number;
  z: number;
  sigma: number;
  lower_rank: number;
  upper_rank: number;
  lower: number;
  upper: number;
  kth: [number, number][];
}
interface RCase {
  name: string;
  candidate: number[];
  baseline: number[];
  confidence_level: number;
  conf_int: [number, number];
}
const read = <T>(file: string): T => JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, "../fixtures/canary", file), "utf8"));
/** Brute force with NumPy over all n·m differences; see test/fixtures/canary/generate.py. */
const fixture = read<{ cases: Case[] }>("hodges-lehmann.json");
/** R 4.2's wilcox.test(conf.int = TRUE, exact = FALSE, tol.root = 1e-10) on the same data. */
const rFixture = read<{ r: string; cases: RCase[] }>("r-wilcox.json");
const sorted = (values: number[]) => sortFinite(values).sorted;

describe("Hodges–Lehmann shift and its interval against NumPy brute force", () => {
  for (const c of fixture.cases) {
    const label = `${c.name} (${c.candidate.length}×${c.baseline.length}, ${c.confidence_level * 100}%)`;
    it(`${label}: estimate = median of all differences; interval at ranks ${c.lower_rank} and ${c.upper_rank}`, () => {
      const result = hodgesLehmann(c.candidate, c.baseline, { confidenceLevel: c.confidence_level });
      // Selection returns the very floating-point differences a sort of all of them would,
      // and the median averages the same two, so the values are equal, not merely close.
      expect(result.estimate).toBe(c.estimate);
      expect(result.lower).toBe(c.lower);
      expect(result.upper).toBe(c.upper);
      expect(result.lowerRank).toBe(c.lower_rank);
      expect(result.upperRank).toBe(c.upper_rank);
      expect(result.pairs).toBe(c.pairs);
      expect(result.confidenceLevel).toBe(c.confidence_level);
    });

    it(`${label}: z and σ of the interval's ranks`, () => {
      const candidate = sorted(c.candidate);
      const baseline = sorted(c.baseline);
      const ranks = shiftConfidenceRanks(candidate.length, baseline.length, tieTermSorted(candidate) + tieTermSorted(baseline), c.confidence_level);
      expect(ranks.z).toBeCloseTo(c.z, 13);
      expect(Math.abs(ranks.sigma - c.sigma) / Math.max(c.sigma, 1e-300)).toBeLessThan(1e-13);
    });

    it(`${label}: the k-th smallest difference at ${c.kth.length} ranks`, () => {
      const candidate = sorted(c.candidate);
      const baseline = sorted(c.baseline);
      for (const [k, expected] of c.kth) expect(kthPairwiseDifference(candidate, baseline, k), `k = ${k}`).toBe(expected);
    });

    it(`${label}: all those ranks selected at once, shuffled and repeated, in the order asked`, () => {
      const asked = [...c.kth].reverse().concat(c.kth.slice(0, 3));
      const values = selectPairwiseDifferences(sorted(c.candidate), sorted(c.baseline), asked.map(([k]) => k));
      expect(values).toEqual(asked.map(([, expected]) => expected));
    });
  }
});

describe(`the interval against R's own wilcox.test (${rFixture.r})`, () => {
  for (const c of rFixture.cases) {
    it(`${c.name} at ${c.confidence_level * 100}%`, () => {
      const result = hodgesLehmann(c.candidate, c.baseline, { confidenceLevel: c.confidence_level });
      // R finds each end with a root search (here to 1e-10), so agreement is to that tolerance.
      const scale = Math.max(1, Math.abs(c.conf_int[0]), Math.abs(c.conf_int[1]));
      expect(Math.abs(result.lower - c.conf_int[0]) / scale).toBeLessThan(1e-8);
      expect(Math.abs(result.upper - c.conf_int[1]) / scale).toBeLessThan(1e-8);
    });
  }
});

/** Pairs with a difference below / at most `value`, by a plain double loop: the definition. */
function bruteCount(candidate: Float64Array, baseline: Float64Array, value: number) {
  let below = 0;
  let atMost = 0;
  for (let i = 0; i < candidate.length; i++) {
    const c = candidate[i];
    for (let j = 0; j < baseline.length; j++) {
      const d = c - baseline[j];
      if (d < value) below++;
      if (d <= value) atMost++;
    }
  }
  return { below, atMost };
}

/** Seeded log-normal latencies (ms), so the large tests are reproducible. */
function latencies(count: number, medianMs: number, seed: number) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return (state + 0.5) / 4_294_967_296;
  };
  return Array.from({ length: count }, () => medianMs * Math.exp(0.5 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())));
}

describe("selection on cohorts too large to list every difference", () => {
  it("10,000 × 10,000 (10⁸ differences): estimate and interval ends have the defining ranks", () => {
    const candidate = sorted(latencies(10_000, 206, 7));
    const baseline = sorted(latencies(10_000, 200, 11));
    const result = hodgesLehmannSorted(candidate, baseline, { confidenceLevel: 0.98 });
    expect(result.pairs).toBe(1e8);
    for (const [value, rank] of [[result.lower, result.lowerRank], [result.upper, result.upperRank]]) {
      const { below, atMost } = bruteCount(candidate, baseline, value);
      expect(below).toBeLessThan(rank);
      expect(atMost).toBeGreaterThanOrEqual(rank);
    }
    // An even number of pairs: the estimate is the mean of the 5·10⁷-th and the next.
    const lowerMiddle = kthPairwiseDifference(candidate, baseline, 5e7);
    const upperMiddle = kthPairwiseDifference(candidate, baseline, 5e7 + 1);
    expect(result.estimate).toBe((lowerMiddle + upperMiddle) / 2);
    const lowerCount = bruteCount(candidate, baseline, lowerMiddle);
    expect(lowerCount.below).toBeLessThan(5e7);
    expect(lowerCount.atMost).toBeGreaterThanOrEqual(5e7);
    expect(result.lower).toBeLessThan(result.estimate);
    expect(result.upper).toBeGreaterThan(result.estimate);
    expect(result.estimate).toBeGreaterThan(0); // the candidate was drawn 3% slower
  }, 120_000);

  it("latencies rounded to whole milliseconds (many equal differences) keep the defining ranks", () => {
    const candidate = sorted(latencies(4_000, 210, 3).map(Math.round));
    const baseline = sorted(latencies(5_000, 200, 5).map(Math.round));
    for (const k of [1, 17, 1_000_000, 9_999_999, 10_000_000, 20_000_000]) {
      const value = kthPairwiseDifference(candidate, baseline, k);
      const { below, atMost } = bruteCount(candidate, baseline, value);
      expect(below, `k = ${k}`).toBeLessThan(k);
      expect(atMost, `k = ${k}`).toBeGreaterThanOrEqual(k);
    }
  }, 60_000);
});

describe("Hodges–Lehmann edge cases", () => {
  it("identical cohorts: shift 0, an interval around 0", () => {
    const values = [12, 15, 11, 19, 14, 13, 17, 16, 18, 10];
    const result = hodgesLehmann(values, values, { confidenceLevel: 0.95 });
    expect(result.estimate).toBe(0);
    expect(result.lower).toBeLessThan(0);
    expect(result.upper).toBeGreaterThan(0);
    expect(result.lower).toBe(-result.upper);
  });

  it("every value tied: shift 0 and the interval [0, 0] (R stops with an error here)", () => {
    const result = hodgesLehmann([7, 7, 7, 7], [7, 7, 7], { confidenceLevel: 0.98 });
    expect(result).toMatchObject({ estimate: 0, lower: 0, upper: 0 });
  });

  it("each cohort constant: the one difference there is, with certainty", () => {
    expect(hodgesLehmann([9, 9, 9], [4, 4], {})).toMatchObject({ estimate: 5, lower: 5, upper: 5 });
  });

  it("a pure shift of the candidate moves the estimate and interval by exactly that shift", () => {
    const baseline = [101, 97, 110, 95, 120, 102, 99, 130, 104, 98, 115, 100];
    const base = hodgesLehmann(baseline, baseline, { confidenceLevel: 0.9 });
    const shifted = hodgesLehmann(baseline.map((v) => v + 25), baseline, { confidenceLevel: 0.9 });
    expect(shifted.estimate).toBe(base.estimate + 25);
    expect(shifted.lower).toBe(base.lower + 25);
    expect(shifted.upper).toBe(base.upper + 25);
  });

  it("one observation against one: the single difference, whatever the level", () => {
    expect(hodgesLehmann([3], [1], { confidenceLevel: 0.99 })).toMatchObject({ estimate: 2, lower: 2, upper: 2, lowerRank: 1, upperRank: 1, pairs: 1 });
  });

  it("a wider level never narrows the interval", () => {
    const candidate = latencies(300, 210, 21);
    const baseline = latencies(300, 200, 22);
    let previous = { lower: Infinity, upper: -Infinity };
    for (const level of [0.5, 0.8, 0.9, 0.95, 0.98, 0.999]) {
      const { lower, upper } = hodgesLehmann(candidate, baseline, { confidenceLevel: level });
      expect(lower).toBeLessThanOrEqual(previous.lower);
      expect(upper).toBeGreaterThanOrEqual(previous.upper);
      previous = { lower, upper };
    }
  });

  it("the median of an odd number of differences is the middle one", () => {
    const candidate = new Float64Array([1, 2, 10]);
    const baseline = new Float64Array([0]);
    expect(medianPairwiseDifference(candidate, baseline)).toBe(2);
  });

  it("the median of an even number averages the two middle differences, also across tied values", () => {
    expect(medianPairwiseDifference(new Float64Array([1, 2, 3, 10]), new Float64Array([0]))).toBe(2.5);
    expect(medianPairwiseDifference(new Float64Array([1, 2, 2, 10]), new Float64Array([0]))).toBe(2);
  });

  it("refuses ranks outside 1…n·m, empty or unsorted cohorts, non-finite values and levels outside (0, 1)", () => {
    const a = new Float64Array([1, 2]);
    const b = new Float64Array([3]);
    expect(() => kthPairwiseDifference(a, b, 0)).toThrow(RangeError);
    expect(() => kthPairwiseDifference(a, b, 3)).toThrow(RangeError);
    expect(() => kthPairwiseDifference(a, b, 1.5)).toThrow(RangeError);
    expect(() => selectPairwiseDifferences(a, b, [1, 3])).toThrow(RangeError);
    expect(selectPairwiseDifferences(a, b, [])).toEqual([]);
    expect(() => hodgesLehmann([], [1])).toThrow(/empty/);
    expect(() => hodgesLehmann([1, Number.NaN], [1])).toThrow(/finite/);
    expect(() => hodgesLehmannSorted(new Float64Array([2, 1]), b)).toThrow(/sorted/);
    expect(() => hodgesLehmann([1, 2], [3], { confidenceLevel: 1 })).toThrow(/confidence/);
    expect(() => hodgesLehmann([1, 2], [3], { confidenceLevel: 0 })).toThrow(/confidence/);
  });

  it("does not modify its inputs", () => {
    const candidate = [5, 3, 9, 1];
    const baseline = [4, 8, 2];
    hodgesLehmann(candidate, baseline);
    expect(candidate).toEqual([5, 3, 9, 1]);
    expect(baseline).toEqual([4, 8, 2]);
  });
});
