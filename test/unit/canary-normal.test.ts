import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { normalCdf, normalQuantile, normalSurvival } from "@/lib/canary/normal-distribution";

/** scipy.special.ndtr and ndtri on a grid; see test/fixtures/canary/generate.py. */
const fixture: { cdf: [number, number][]; ppf: [number, number][] } = JSON.parse(
  fs.readFileSync(path.resolve(import.meta.dirname, "../fixtures/canary/normal.json"), "utf8"),
);

function relativeError(actual: number, expected: number) {
  if (expected === 0) return Math.abs(actual);
  return Math.abs(actual - expected) / Math.abs(expected);
}

describe("standard normal distribution against SciPy", () => {
  it(`CDF matches scipy.special.ndtr at ${fixture.cdf.length} points from -38.5 to 8.5 to 1e-14 relative`, () => {
    for (const [x, expected] of fixture.cdf) {
      expect(relativeError(normalCdf(x), expected), `ndtr(${x})`).toBeLessThan(1e-14);
    }
  });

  it("the upper tail is the CDF mirrored, so p-values of 1e-300 keep their digits", () => {
    for (const [x, expected] of fixture.cdf) {
      expect(relativeError(normalSurvival(-x), expected), `sf(${-x})`).toBeLessThan(1e-14);
    }
    expect(normalSurvival(37)).toBeGreaterThan(0);
    expect(normalSurvival(37)).toBeLessThan(1e-290);
  });

  it(`quantile matches scipy.special.ndtri at ${fixture.ppf.length} probabilities from 1e-300 to 1 - 1e-12`, () => {
    for (const [p, expected] of fixture.ppf) {
      expect(relativeError(normalQuantile(p), expected), `ndtri(${p})`).toBeLessThan(1e-13);
    }
  });

  it("quantile and CDF invert each other", () => {
    for (const p of [1e-12, 0.001, 0.01, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999]) {
      expect(relativeError(normalCdf(normalQuantile(p)), p)).toBeLessThan(1e-13);
    }
  });

  it("handles the edges: infinities, 0, 1, NaN and out-of-range probabilities", () => {
    expect(normalCdf(Infinity)).toBe(1);
    expect(normalCdf(-Infinity)).toBe(0);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(Number.NaN)).toBeNaN();
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(-0.1)).toBeNaN();
    expect(normalQuantile(1.1)).toBeNaN();
    expect(normalQuantile(Number.NaN)).toBeNaN();
  });
});
