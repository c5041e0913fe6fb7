import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatMeasure, formatNumber, formatShift } from "@/lib/canary/format";
import { quantile, quantileSorted, sortFinite, tieTermSorted } from "@/lib/canary/samples";

/** numpy.quantile(values, q), method "linear"; see test/fixtures/canary/generate.py. */
const fixture: { cases: { name: string; values: number[]; q: number[]; expected: number[] }[] } = JSON.parse(
  fs.readFileSync(path.resolve(import.meta.dirname, "../fixtures/canary/percentile.json"), "utf8"),
);

describe("quantiles against numpy.quantile", () => {
  for (const c of fixture.cases) {
    it(`${c.name}: q = ${c.q.join(", ")}`, () => {
      const { sorted } = sortFinite(c.values);
      c.q.forEach((q, i) => {
        const actual = quantileSorted(sorted, q);
        const error = Math.abs(actual - c.expected[i]) / Math.max(Math.abs(c.expected[i]), 1e-300);
        expect(error, `q = ${q}`).toBeLessThan(1e-14);
      });
    });
  }

  it("the unsorted form ignores non-finite values and gives null for none", () => {
    expect(quantile([3, Number.NaN, 1, Infinity, 2], 0.5)).toBe(2);
    expect(quantile([Number.NaN], 0.99)).toBeNull();
    expect(quantile([], 0.5)).toBeNull();
  });

  it("refuses q outside [0, 1] and an empty sample", () => {
    expect(() => quantileSorted(new Float64Array([1]), 1.5)).toThrow(RangeError);
    expect(() => quantileSorted(new Float64Array([1]), Number.NaN)).toThrow(RangeError);
    expect(() => quantileSorted(new Float64Array([]), 0.5)).toThrow(RangeError);
  });
});

describe("sortFinite", () => {
  it("sorts numerically (not as strings), drops and counts NaN and ±Infinity, and copies", () => {
    const input = [10, 9, Number.NaN, 100, -Infinity, 1, Infinity, -5];
    const { sorted, dropped } = sortFinite(input);
    expect(Array.from(sorted)).toEqual([-5, 1, 9, 10, 100]);
    expect(dropped).toBe(3);
    expect(input[0]).toBe(10);
  });

  it("takes typed arrays", () => {
    expect(Array.from(sortFinite(new Float64Array([3, 1, 2])).sorted)).toEqual([1, 2, 3]);
  });
});

describe("tie term Σ(t³ − t)", () => {
  it("is 0 without ties and counts each group of equal values", () => {
    expect(tieTermSorted(new Float64Array([1, 2, 3]))).toBe(0);
    expect(tieTermSorted(new Float64Array([]))).toBe(0);
    expect(tieTermSorted(new Float64Array([1, 1, 2, 3, 3, 3]))).toBe(6 + 24);
    expect(tieTermSorted(new Float64Array([4, 4, 4, 4]))).toBe(60);
  });
});

describe("numbers in reasons", () => {
  it.each([
    [0, "0"],
    [812.46, "812.5"],
    [800, "800"],
    [1200, "1200"],
    [12345.6, "12346"],
    [42.126, "42.13"],
    [0.5, "0.5"],
    [0.6667, "0.667"],
    [0.0000903, "9.03e-5"],
    [-3.5, "-3.5"],
    [2.5e9, "2.50e+9"],
  ])("formatNumber(%s) = %s", (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });

  it("units and signs", () => {
    expect(formatMeasure(0.62, "%")).toBe("0.62%");
    expect(formatMeasure(420, "ms")).toBe("420 ms");
    expect(formatMeasure(3, null)).toBe("3");
    expect(formatShift(42.1, "ms")).toBe("+42.1 ms");
    expect(formatShift(-3, "ms")).toBe("−3 ms");
    expect(formatShift(0, "ms")).toBe("0 ms");
  });
});
