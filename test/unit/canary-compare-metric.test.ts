import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compareMetric, type MetricSpec } from "@/lib/canary/compare-metric";
import { metricComparisonSchema } from "@/lib/canary/verdict-schema";

const read = <T>(file: string): T => JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, "../fixtures/canary", file), "utf8"));
const mannWhitney = read<{ asymptotic: { name: string; x: number[]; y: number[]; results: Record<string, { pvalue: number }> }[] }>("mann-whitney.json");
const hodgesLehmann = read<{ cases: { name: string; candidate: number[]; baseline: number[]; confidence_level: number; estimate: number; lower: number; upper: number }[] }>(
  "hodges-lehmann.json",
);

const latency: MetricSpec = { name: "latency_ms", unit: "ms", direction: "increase_is_bad", tolerance: 0.1, critical: true };
const throughput: MetricSpec = { name: "throughput", unit: "req/s", direction: "decrease_is_bad", tolerance: 0.1 };
/** Median 100, spread ±20: wide enough that a +15 shift is not established with 10 values each. */
const baseline = [80, 85, 90, 95, 100, 100, 105, 110, 115, 120];
const shifted = (by: number) => baseline.map((v) => v + by);

describe("compareMetric: statistics from the reference implementations", () => {
  const name = "latency +10% 500 vs 500";
  const mw = mannWhitney.asymptotic.find((c) => c.name === name)!;
  const hl = hodgesLehmann.cases.find((c) => c.name === name && c.confidence_level === 0.98)!;

  it("shift and interval are NumPy's brute-force Hodges–Lehmann values, the p-value SciPy's one-sided test", () => {
    const result = compareMetric(latency, { candidate: mw.x, baseline: mw.y });
    expect(result.shift).toBe(hl.estimate);
    expect(result.interval).toEqual({ lower: hl.lower, upper: hl.upper, confidenceLevel: 0.98 });
    expect(Math.abs(result.pValue! - mw.results.greater.pvalue) / mw.results.greater.pvalue).toBeLessThan(1e-12);
  });

  it("for a decrease-is-bad metric the p-value is SciPy's 'less' alternative", () => {
    const result = compareMetric(throughput, { candidate: mw.x, baseline: mw.y });
    expect(Math.abs(result.pValue! - mw.results.less.pvalue) / mw.results.less.pvalue).toBeLessThan(1e-12);
    expect(result.shift).toBe(hl.estimate);
  });
});

describe("compareMetric verdicts", () => {
  it("no shift passes, with the numbers in the reason", () => {
    const result = compareMetric(latency, { baseline, candidate: [...baseline].reverse() });
    expect(result).toMatchObject({ verdict: "pass", shift: 0, allowedShift: 10, relativeShift: 0, probabilityWorse: 0.5 });
    expect(result.interval).toEqual({ lower: -15, upper: 15, confidenceLevel: 0.98 });
    expect(result.reason).toBe(
      "latency_ms: shift 0 ms (98% CI −15 ms to +15 ms) is within the allowed increase of 10 ms (10% of the baseline median 100 ms); " +
        "baseline median 100 ms, candidate 100 ms; one-sided p = 0.515",
    );
  });

  it("a shift within tolerance passes", () => {
    expect(compareMetric(latency, { baseline, candidate: shifted(5) })).toMatchObject({ verdict: "pass", shift: 5 });
  });

  it("a shift beyond tolerance whose interval still reaches inside it is marginal", () => {
    const result = compareMetric(latency, { baseline, candidate: shifted(15) });
    expect(result).toMatchObject({ verdict: "marginal", shift: 15, relativeShift: 0.15 });
    expect(result.interval!.lower).toBeLessThanOrEqual(10);
    expect(result.reason).toContain("shift +15 ms (98% CI 0 ms to +30 ms) exceeds the allowed increase of 10 ms");
    expect(result.reason).toContain("reaches back within it");
  });

  it("an interval wholly beyond tolerance fails", () => {
    const result = compareMetric(latency, { baseline, candidate: shifted(60) });
    expect(result).toMatchObject({ verdict: "fail", shift: 60, probabilityWorse: 1 });
    expect(result.interval!.lower).toBeGreaterThan(10);
    expect(result.reason).toMatch(/^latency_ms: the whole interval is beyond the allowed increase of 10 ms .*shift \+60 ms \(98% CI \+45 ms to \+75 ms\)/);
  });

  it("an improvement passes however large", () => {
    expect(compareMetric(latency, { baseline, candidate: shifted(-60) })).toMatchObject({ verdict: "pass", shift: -60 });
  });

  it("direction decrease_is_bad fails on a drop and passes a rise", () => {
    const drop = compareMetric(throughput, { baseline, candidate: shifted(-60) });
    expect(drop).toMatchObject({ verdict: "fail", shift: -60, probabilityWorse: 1 });
    expect(drop.reason).toContain("allowed decrease of 10 req/s");
    expect(compareMetric(throughput, { baseline, candidate: shifted(60) })).toMatchObject({ verdict: "pass", probabilityWorse: 0 });
  });

  it("a lower confidence level (a narrower interval) can turn a marginal shift into a failure", () => {
    expect(compareMetric(latency, { baseline, candidate: shifted(20) }, { confidenceLevel: 0.98 })).toMatchObject({ verdict: "marginal", interval: { lower: 5, upper: 35 } });
    expect(compareMetric(latency, { baseline, candidate: shifted(20) }, { confidenceLevel: 0.5 })).toMatchObject({ verdict: "fail", interval: { lower: 15, upper: 25 } });
  });

  it("a baseline median of 0 allows no shift unless minAllowedShift sets a floor", () => {
    const errorsBaseline = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const errorsCandidate = [1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 2];
    const errors: MetricSpec = { name: "errors", direction: "increase_is_bad", tolerance: 0.2 };
    const strict = compareMetric(errors, { baseline: errorsBaseline, candidate: errorsCandidate });
    expect(strict).toMatchObject({ verdict: "fail", allowedShift: 0, relativeShift: null, shift: 1, unit: null });
    const lenient = compareMetric({ ...errors, minAllowedShift: 1 }, { baseline: errorsBaseline, candidate: errorsCandidate });
    expect(lenient).toMatchObject({ verdict: "pass", allowedShift: 1 });
    expect(lenient.reason).toContain("the allowed increase of 1 (the minimum allowed shift)");
  });

  it("identical cohorts pass with shift 0", () => {
    const values = [5, 1, 3, 3, 8, 2, 9, 4, 4, 7, 6];
    expect(compareMetric(latency, { baseline: values, candidate: values })).toMatchObject({ verdict: "pass", shift: 0, pValue: expect.any(Number) });
  });

  it("every value tied passes: shift 0, interval [0, 0], p = 1", () => {
    const result = compareMetric(latency, { baseline: Array(20).fill(250), candidate: Array(15).fill(250) });
    expect(result).toMatchObject({ verdict: "pass", shift: 0, interval: { lower: 0, upper: 0 }, pValue: 1, probabilityWorse: 0.5 });
  });

  it("each cohort constant at different values fails with certainty", () => {
    const result = compareMetric(latency, { baseline: Array(12).fill(200), candidate: Array(12).fill(300) });
    expect(result).toMatchObject({ verdict: "fail", shift: 100, interval: { lower: 100, upper: 100 } });
  });
});

describe("compareMetric without enough data", () => {
  const cases: [string, number[], number[], string][] = [
    ["both cohorts empty", [], [], "baseline has 0 samples, candidate has 0 samples; each needs at least 10"],
    ["an empty candidate", baseline, [], "baseline has 10 samples, candidate has 0 samples"],
    ["an empty baseline", [], baseline, "baseline has 0 samples, candidate has 10 samples"],
    ["only NaN in the candidate", baseline, [Number.NaN, Number.NaN], "candidate has 0 samples (2 not finite, left out)"],
    ["too few samples", baseline.slice(0, 9), baseline, "baseline has 9 samples, candidate has 10 samples"],
    ["one sample", [100], [100], "baseline has 1 sample, candidate has 1 sample"],
  ];
  for (const [label, base, candidate, reason] of cases) {
    it(`${label} → no_data, never pass`, () => {
      const result = compareMetric(latency, { baseline: base, candidate });
      expect(result.verdict).toBe("no_data");
      expect(result.reason).toContain(reason);
      expect(result).toMatchObject({ shift: null, interval: null, allowedShift: null, pValue: null, probabilityWorse: null, relativeShift: null });
    });
  }

  it("minSamples is configurable", () => {
    expect(compareMetric(latency, { baseline: [1, 2, 3], candidate: [1, 2, 3] }, { minSamples: 3 }).verdict).toBe("pass");
  });
});

describe("compareMetric input handling", () => {
  it("drops NaN and ±Infinity, counts them, and judges the rest", () => {
    const result = compareMetric(latency, { baseline: [...baseline, Number.NaN, Infinity], candidate: [...shifted(60), -Infinity] });
    expect(result.verdict).toBe("fail");
    expect(result.baseline).toEqual({ count: 10, dropped: 2, median: 100, mean: 100, p99: 119.55 });
    expect(result.candidate).toMatchObject({ count: 10, dropped: 1, median: 160 });
  });

  it("produces JSON the strict schema accepts, the same after a round trip", () => {
    for (const candidate of [[], shifted(0), shifted(15), shifted(60)]) {
      const result = compareMetric(latency, { baseline, candidate });
      expect(metricComparisonSchema.parse(result)).toEqual(result);
      expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    }
  });

  it("rejects a specification it cannot apply", () => {
    expect(() => compareMetric({ ...latency, tolerance: -0.1 }, { baseline, candidate: baseline })).toThrow(/tolerance/);
    expect(() => compareMetric({ ...latency, tolerance: Number.NaN }, { baseline, candidate: baseline })).toThrow(/tolerance/);
    expect(() => compareMetric({ ...latency, weight: -1 }, { baseline, candidate: baseline })).toThrow(/weight/);
    expect(() => compareMetric({ ...latency, minAllowedShift: -1 }, { baseline, candidate: baseline })).toThrow(/minAllowedShift/);
    expect(() => compareMetric({ ...latency, name: "" }, { baseline, candidate: baseline })).toThrow(/name/);
    expect(() => compareMetric(latency, { baseline, candidate: baseline }, { confidenceLevel: 1.5 })).toThrow(/confidence/);
    expect(() => compareMetric(latency, { baseline, candidate: baseline }, { minSamples: 0 })).toThrow(/minSamples/);
  });

  it("is pure: the same input gives the same output and the inputs stay as they were", () => {
    const candidate = [130, 90, 170, 110, 150, 120, 100, 140, 160, 95];
    const copy = [...candidate];
    const first = compareMetric(latency, { baseline, candidate });
    expect(compareMetric(latency, { baseline, candidate })).toEqual(first);
    expect(candidate).toEqual(copy);
  });
});
