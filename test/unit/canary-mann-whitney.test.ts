import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { mannWhitneyPValue, mannWhitneyU, rankSumSorted, type Alternative } from "@/lib/canary/mann-whitney";
import { sortFinite } from "@/lib/canary/samples";

type Results = Record<Alternative, { statistic: number; pvalue: number }>;
interface Case {
  name: string;
  x: number[];
  y: number[];
  use_continuity?: boolean;
  results: Results;
}
/** scipy.stats.mannwhitneyu on each case; see test/fixtures/canary/generate.py. */
const fixture: { asymptotic: Case[]; exact: Case[] } = JSON.parse(
  fs.readFileSync(path.resolve(import.meta.dirname, "../fixtures/canary/mann-whitney.json"), "utf8"),
);
const alternatives: Alternative[] = ["two-sided", "greater", "less"];

function relativeError(actual: number, expected: number) {
  if (expected === 0) return Math.abs(actual);
  return Math.abs(actual - expected) / Math.abs(expected);
}

describe("Mann-Whitney U against scipy.stats.mannwhitneyu(method='asymptotic')", () => {
  for (const c of fixture.asymptotic) {
    it(`${c.name}: U and the three p-values (n = ${c.x.length}, ${c.y.length})`, () => {
      for (const alternative of alternatives) {
        const result = mannWhitneyU(c.x, c.y, { alternative, method: "asymptotic", continuity: c.use_continuity });
        expect(result.method).toBe("asymptotic");
        expect(result.u1).toBe(c.results[alternative].statistic);
        expect(relativeError(result.pValue, c.results[alternative].pvalue), alternative).toBeLessThan(1e-12);
      }
    });
  }
});

describe("Mann-Whitney U against scipy.stats.mannwhitneyu(method='exact')", () => {
  for (const c of fixture.exact) {
    it(`${c.name}: exact null distribution (n = ${c.x.length}, ${c.y.length})`, () => {
      for (const alternative of alternatives) {
        const result = mannWhitneyU(c.x, c.y, { alternative, method: "exact" });
        expect(result.method).toBe("exact");
        expect(result.z).toBeNull();
        expect(result.u1).toBe(c.results[alternative].statistic);
        expect(relativeError(result.pValue, c.results[alternative].pvalue), alternative).toBeLessThan(1e-12);
      }
    });
  }
});

describe("published examples", () => {
  const permeability = {
    x: [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46],
    y: [1.15, 0.88, 0.9, 0.74, 1.21],
  };

  it("Hollander & Wolfe (R's ?wilcox.test): W = 35, exact one-sided p = 0.1272", () => {
    const result = mannWhitneyU(permeability.x, permeability.y, { alternative: "greater", method: "exact" });
    expect(result.u1).toBe(35);
    expect(result.pValue).toBeCloseTo(0.1272, 4);
  });

  it("Hollander & Wolfe large-sample version without continuity correction: p = 0.1103", () => {
    const result = mannWhitneyU(permeability.x, permeability.y, { alternative: "greater", method: "asymptotic", continuity: false });
    expect(result.pValue).toBeCloseTo(0.1103, 4);
  });

  it("Shier (2004), SciPy's docstring: U = 17 for the males, 3 for the females, two-sided exact p = 1/9", () => {
    const result = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12], { method: "exact" });
    expect(result.u1).toBe(17);
    expect(result.u2).toBe(3);
    expect(result.pValue).toBeCloseTo(1 / 9, 15);
  });
});

describe("Mann-Whitney edge cases", () => {
  it("midranks for ties: U counts tied pairs as ½", () => {
    // pairs (x > y): 2>1, 2=2 (½), 3>1, 3>2 → 3.5 of 4
    const stats = rankSumSorted(new Float64Array([2, 3]), new Float64Array([1, 2]));
    expect(stats.u1).toBe(3.5);
    expect(stats.u2).toBe(0.5);
    expect(stats.ties).toBe(true);
    expect(stats.tieTerm).toBe(6); // one group of two tied values: 2³ − 2
  });

  it("U1 + U2 = n1·n2, and swapping the samples swaps 'greater' and 'less'", () => {
    const x = [3.1, 4.7, 2.2, 8.9, 5.5, 6.1, 7.3, 1.9, 4.4, 6.6, 3.3, 5.0];
    const y = [2.9, 3.8, 1.1, 4.2, 2.5, 3.0, 5.9, 2.2, 1.7, 3.6];
    const forward = mannWhitneyU(x, y, { alternative: "greater", method: "asymptotic" });
    const backward = mannWhitneyU(y, x, { alternative: "less", method: "asymptotic" });
    expect(forward.u1 + forward.u2).toBe(x.length * y.length);
    expect(backward.u1).toBe(forward.u2);
    expect(backward.pValue).toBeCloseTo(forward.pValue, 15);
  });

  it("identical cohorts: U is n1·n2/2 and the two-sided p-value is 1", () => {
    const values = [5, 1, 3, 3, 8, 2];
    const result = mannWhitneyU(values, [...values].reverse(), { method: "asymptotic" });
    expect(result.u1).toBe(18);
    expect(result.pValue).toBe(1);
  });

  it("every value tied: no evidence, p = 1 for every alternative and with or without continuity correction", () => {
    for (const alternative of alternatives) {
      for (const continuity of [true, false]) {
        const result = mannWhitneyU([7, 7, 7], [7, 7, 7, 7], { alternative, method: "asymptotic", continuity });
        expect(result.pValue).toBe(1);
        expect(result.z).toBeNull();
      }
    }
  });

  it("complete separation of 10,000-value cohorts: U = n1·n2 and a p-value that underflows to 0 (as SciPy's), not NaN", () => {
    const x = Array.from({ length: 10_000 }, (_, i) => 10_000 + i);
    const y = Array.from({ length: 10_000 }, (_, i) => i);
    const result = mannWhitneyU(x, y, { alternative: "greater", method: "asymptotic" });
    expect(result.u1).toBe(1e8);
    expect(result.z).toBeGreaterThan(120);
    expect(result.pValue).toBe(0);
    expect(mannWhitneyU(x, y, { alternative: "less", method: "asymptotic" }).pValue).toBe(1);
  });

  it("'auto' is exact for a small sample without ties, asymptotic with ties or when both samples exceed 8 (as SciPy)", () => {
    const stats = (x: number[], y: number[]) => rankSumSorted(sortFinite(x).sorted, sortFinite(y).sorted);
    expect(mannWhitneyPValue(stats([1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 11, 12, 13])).method).toBe("exact");
    expect(mannWhitneyPValue(stats([1, 2, 4], [4, 5, 6])).method).toBe("asymptotic");
    const nine = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(mannWhitneyPValue(stats(nine, nine.map((v) => v + 0.5))).method).toBe("asymptotic");
  });

  it("'auto' falls back to the normal approximation where the exact distribution would be too costly", () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8].map((v) => v + 0.25);
    const y = Array.from({ length: 200_000 }, (_, i) => i / 10);
    expect(mannWhitneyU(x, y).method).toBe("asymptotic");
    expect(() => mannWhitneyU(x, y, { method: "exact" })).toThrow(/too large/);
  });

  it("refuses the exact method with ties, and empty or non-finite samples", () => {
    expect(() => mannWhitneyU([1, 2, 2], [3, 4], { method: "exact" })).toThrow(/ties/);
    expect(() => mannWhitneyU([], [1, 2])).toThrow(/empty/);
    expect(() => mannWhitneyU([1, 2], [])).toThrow(/empty/);
    expect(() => mannWhitneyU([1, Number.NaN], [1, 2])).toThrow(/finite/);
    expect(() => mannWhitneyU([1, 2], [Infinity])).toThrow(/finite/);
  });

  it("a single value against a single value: exact p is 1 two-sided, ½ one-sided", () => {
    expect(mannWhitneyU([3], [1], { method: "exact" }).pValue).toBe(1);
    expect(mannWhitneyU([3], [1], { method: "exact", alternative: "greater" }).pValue).toBe(0.5);
    expect(mannWhitneyU([3], [1], { method: "exact", alternative: "less" }).pValue).toBe(1);
  });
});
