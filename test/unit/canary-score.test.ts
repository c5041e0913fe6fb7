import { describe, expect, it } from "vitest";
import { DEFAULT_SCORE_THRESHOLDS, scoreCanary } from "@/lib/canary/canary-score";
import { canaryScoreSchema, type MetricVerdict } from "@/lib/canary/verdict-schema";

const metric = (name: string, verdict: MetricVerdict, options: { critical?: boolean; weight?: number } = {}) => ({
  name,
  verdict,
  critical: options.critical ?? false,
  weight: options.weight ?? 1,
});

describe("scoreCanary", () => {
  const table: [string, ReturnType<typeof metric>[], { verdict: string; score: number | null; reason: string }][] = [
    ["every metric passes", [metric("a", "pass"), metric("b", "pass")], { verdict: "pass", score: 100, reason: "score 100 (2 pass, 0 marginal, 0 fail, 0 no data) ≥ pass threshold 95" }],
    [
      "19 of 20 pass: exactly the pass threshold",
      [...Array.from({ length: 19 }, (_, i) => metric(`m${i}`, "pass")), metric("m19", "fail")],
      { verdict: "pass", score: 95, reason: "score 95 (19 pass, 0 marginal, 1 fail, 0 no data) ≥ pass threshold 95" },
    ],
    [
      "a marginal metric earns half: 1.5 of 2 is 75, marginal",
      [metric("a", "pass"), metric("b", "marginal")],
      { verdict: "marginal", score: 75, reason: "score 75 (1 pass, 1 marginal, 0 fail, 0 no data) is below the pass threshold 95, at or above the marginal threshold 75" },
    ],
    ["one of two fails: 50, fail", [metric("a", "pass"), metric("b", "fail")], { verdict: "fail", score: 50, reason: "score 50 (1 pass, 0 marginal, 1 fail, 0 no data) < marginal threshold 75" }],
    [
      "a metric without data earns nothing but still counts",
      [metric("a", "pass"), metric("b", "pass"), metric("c", "pass"), metric("d", "no_data")],
      { verdict: "marginal", score: 75, reason: "score 75 (3 pass, 0 marginal, 0 fail, 1 no data) is below the pass threshold 95, at or above the marginal threshold 75" },
    ],
    [
      "weights: a failing metric of weight 1 against a passing one of weight 19",
      [metric("a", "pass", { weight: 19 }), metric("b", "fail", { weight: 1 })],
      { verdict: "pass", score: 95, reason: "score 95 (1 pass, 0 marginal, 1 fail, 0 no data) ≥ pass threshold 95" },
    ],
    [
      "a critical failure fails whatever the score",
      [metric("latency", "fail", { critical: true, weight: 1 }), metric("b", "pass", { weight: 99 })],
      { verdict: "fail", score: 99, reason: "critical metric latency failed; score 99 (1 pass, 0 marginal, 1 fail, 0 no data)" },
    ],
    [
      "a critical metric without data cannot pass",
      [metric("latency", "no_data", { critical: true }), metric("b", "pass"), metric("c", "pass")],
      { verdict: "no_data", score: (100 * 2) / 3, reason: "critical metric latency has no data; score 66.67 (2 pass, 0 marginal, 0 fail, 1 no data)" },
    ],
    [
      "a critical failure outranks a critical metric without data",
      [metric("latency", "fail", { critical: true }), metric("errors", "no_data", { critical: true })],
      { verdict: "fail", score: 0, reason: "critical metric latency failed; score 0 (0 pass, 0 marginal, 1 fail, 1 no data)" },
    ],
    ["no metrics", [], { verdict: "no_data", score: null, reason: "no metrics to compare" }],
    [
      "no metric had data",
      [metric("a", "no_data"), metric("b", "no_data")],
      { verdict: "no_data", score: null, reason: "no metric had data (0 pass, 0 marginal, 0 fail, 2 no data)" },
    ],
    ["every weight 0", [metric("a", "pass", { weight: 0 })], { verdict: "no_data", score: null, reason: "every metric has weight 0" }],
  ];

  for (const [label, metrics, expected] of table) {
    it(label, () => {
      const result = scoreCanary(metrics);
      expect({ verdict: result.verdict, score: result.score, reason: result.reason }).toEqual(expected);
      expect(canaryScoreSchema.parse(result)).toEqual(result);
    });
  }

  it("counts verdicts and lists critical failures and critical metrics without data by name", () => {
    const result = scoreCanary([
      metric("latency", "fail", { critical: true }),
      metric("errors", "fail", { critical: true }),
      metric("cpu", "no_data", { critical: true }),
      metric("memory", "marginal"),
      metric("gc", "pass"),
    ]);
    expect(result.counts).toEqual({ pass: 1, marginal: 1, fail: 2, no_data: 1 });
    expect(result.criticalFailures).toEqual(["latency", "errors"]);
    expect(result.criticalNoData).toEqual(["cpu"]);
    expect(result.thresholds).toEqual(DEFAULT_SCORE_THRESHOLDS);
  });

  it("uses the thresholds it is given", () => {
    const metrics = [metric("a", "pass"), metric("b", "pass"), metric("c", "fail")];
    expect(scoreCanary(metrics, { pass: 60, marginal: 50 }).verdict).toBe("pass");
    expect(scoreCanary(metrics, { pass: 90, marginal: 60 }).verdict).toBe("marginal");
    expect(scoreCanary(metrics, { pass: 90, marginal: 70 }).verdict).toBe("fail");
  });

  it("rejects thresholds out of order or range, and negative weights", () => {
    expect(() => scoreCanary([], { pass: 70, marginal: 80 })).toThrow(RangeError);
    expect(() => scoreCanary([], { pass: 120, marginal: 80 })).toThrow(RangeError);
    expect(() => scoreCanary([], { pass: 90, marginal: -1 })).toThrow(RangeError);
    expect(() => scoreCanary([metric("a", "pass", { weight: -1 })])).toThrow(/weight/);
  });
});
