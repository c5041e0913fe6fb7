import { describe, expect, it } from "vitest";
import type { MetricSpec } from "@/lib/canary/compare-metric";
import { evaluateInterval, type IntervalInput } from "@/lib/canary/evaluate-interval";
import { hardThresholdsFromPolicy } from "@/lib/canary/thresholds";
import { intervalVerdictSchema } from "@/lib/canary/verdict-schema";
import { defaultPolicyRules } from "@/lib/policy/policy-rules";

const at = "2026-11-25T10:06:00.000Z";
const latency: MetricSpec = { name: "latency_ms", unit: "ms", direction: "increase_is_bad", tolerance: 0.1, critical: true };
const cpu: MetricSpec = { name: "cpu_percent", unit: "%", direction: "increase_is_bad", tolerance: 0.2 };
const baseline = [80, 85, 90, 95, 100, 100, 105, 110, 115, 120];
const shifted = (by: number) => baseline.map((v) => v + by);
const healthy = { requests: 5000, errors: 5, p99LatencyMs: 310 };

function input(overrides: Partial<IntervalInput> = {}): IntervalInput {
  return {
    at,
    interval: { index: 3, startedAt: "2026-11-25T10:05:00.000Z", endedAt: "2026-11-25T10:06:00.000Z" },
    traffic: { canary: healthy, baseline: { requests: 95_000, errors: 80, p99LatencyMs: 300 } },
    metrics: [
      { spec: latency, baseline, candidate: shifted(0) },
      { spec: cpu, baseline, candidate: shifted(5) },
    ],
    thresholds: hardThresholdsFromPolicy(defaultPolicyRules.deployment),
    ...overrides,
  };
}

describe("evaluateInterval", () => {
  it("healthy canary, no regression: pass, no rollback", () => {
    const verdict = evaluateInterval(input());
    expect(verdict).toMatchObject({
      version: 1,
      at,
      interval: { index: 3 },
      verdict: "pass",
      rollback: null,
      hardThresholds: { verdict: "ok" },
      statistics: { verdict: "pass", score: 100, counts: { pass: 2, marginal: 0, fail: 0, no_data: 0 } },
    });
    expect(verdict.statistics.metrics.map((m) => [m.name, m.verdict])).toEqual([
      ["latency_ms", "pass"],
      ["cpu_percent", "pass"],
    ]);
    expect(verdict.traffic).toEqual({
      canary: { requests: 5000, errors: 5, errorRatePercent: 0.1, p99LatencyMs: 310 },
      baseline: { requests: 95_000, errors: 80, errorRatePercent: (80 / 95_000) * 100, p99LatencyMs: 300 },
    });
    expect(verdict.summary).toMatch(/^pass: thresholds ok \(error rate 0.1% .*\); statistics pass \(score 100/);
  });

  it("a hard threshold breach fails and the rollback names the metric, value, threshold and time", () => {
    const verdict = evaluateInterval(input({ traffic: { canary: { requests: 2000, errors: 13, p99LatencyMs: 950 } } }));
    expect(verdict.verdict).toBe("fail");
    expect(verdict.rollback).toEqual({
      source: "hard_threshold",
      metric: "error_rate_percent",
      value: 0.65,
      threshold: 0.5,
      unit: "%",
      at,
      reason: "error rate 0.65% (13 errors in 2000 requests) > 0.5%",
    });
    expect(verdict.hardThresholds.breaches.map((b) => b.metric)).toEqual(["error_rate_percent", "p99_latency_ms"]);
    expect(verdict.summary).toBe(`fail at ${at}: error_rate_percent 0.65% > 0.5%; roll back`);
    expect(verdict.traffic.baseline).toBeNull();
  });

  it("a p99 breach alone names the latency threshold", () => {
    const verdict = evaluateInterval(input({ traffic: { canary: { requests: 2000, errors: 0, p99LatencyMs: 801 } } }));
    expect(verdict.rollback).toMatchObject({ source: "hard_threshold", metric: "p99_latency_ms", value: 801, threshold: 800, unit: "ms", at });
  });

  it("a critical metric's statistical failure fails and the rollback names the metric, its shift and the allowed shift", () => {
    const verdict = evaluateInterval(input({ metrics: [{ spec: latency, baseline, candidate: shifted(60) }, { spec: cpu, baseline, candidate: shifted(0) }] }));
    expect(verdict.hardThresholds.verdict).toBe("ok");
    expect(verdict.statistics).toMatchObject({ verdict: "fail", criticalFailures: ["latency_ms"] });
    expect(verdict.rollback).toMatchObject({ source: "statistics", metric: "latency_ms", value: 60, threshold: 10, unit: "ms", at });
    expect(verdict.rollback!.reason).toContain("98% CI +45 ms to +75 ms");
    expect(verdict.summary).toBe(`fail at ${at}: latency_ms shifted +60 ms against an allowed +10 ms; roll back`);
  });

  it("for a decrease-is-bad metric the rollback's threshold is the allowed (negative) shift", () => {
    const throughput: MetricSpec = { name: "throughput", unit: "req/s", direction: "decrease_is_bad", tolerance: 0.1, critical: true };
    const verdict = evaluateInterval(input({ metrics: [{ spec: throughput, baseline, candidate: shifted(-60) }] }));
    expect(verdict.rollback).toMatchObject({ metric: "throughput", value: -60, threshold: -10 });
  });

  it("a failure by score alone names the score against the marginal threshold", () => {
    const metrics = ["a", "b", "c"].map((name) => ({ spec: { ...cpu, name }, baseline, candidate: shifted(25) }));
    const verdict = evaluateInterval(input({ metrics: [...metrics, { spec: { ...cpu, name: "d" }, baseline, candidate: [] }] }));
    expect(verdict.statistics).toMatchObject({ verdict: "fail", score: 37.5, counts: { marginal: 3, no_data: 1 } });
    expect(verdict.rollback).toMatchObject({ source: "statistics", metric: "canary_score", value: 37.5, threshold: 75, unit: null });
  });

  it("a non-critical failure is named when it fails the score", () => {
    const verdict = evaluateInterval(input({ metrics: [{ spec: { ...latency, critical: false }, baseline, candidate: shifted(0) }, { spec: cpu, baseline, candidate: shifted(200) }] }));
    expect(verdict.rollback).toMatchObject({ metric: "cpu_percent", value: 200 });
  });

  it("too few requests: no_data, not a pass, even with good statistics", () => {
    const verdict = evaluateInterval(input({ traffic: { canary: { requests: 120, errors: 0, p99LatencyMs: 200 } } }));
    expect(verdict).toMatchObject({ verdict: "no_data", rollback: null, hardThresholds: { verdict: "no_data" }, statistics: { verdict: "pass" } });
    expect(verdict.summary).toMatch(/^no_data: thresholds not judged/);
  });

  it("no samples for the critical metric: no_data", () => {
    const verdict = evaluateInterval(input({ metrics: [{ spec: latency, baseline, candidate: [] }] }));
    expect(verdict).toMatchObject({ verdict: "no_data", statistics: { verdict: "no_data", criticalNoData: ["latency_ms"] } });
  });

  it("no metrics at all: the statistics have no data, so the interval cannot pass", () => {
    expect(evaluateInterval(input({ metrics: [] }))).toMatchObject({ verdict: "no_data", statistics: { verdict: "no_data", score: null } });
  });

  it("marginal statistics with healthy thresholds: marginal, no rollback", () => {
    const verdict = evaluateInterval(input({ metrics: [{ spec: latency, baseline, candidate: shifted(15) }, { spec: cpu, baseline, candidate: shifted(0) }] }));
    expect(verdict).toMatchObject({ verdict: "marginal", rollback: null, statistics: { verdict: "marginal", score: 75 } });
  });

  it("marginal outranks no_data: the worse judge decides", () => {
    const verdict = evaluateInterval(
      input({
        traffic: { canary: { requests: 100, errors: 0, p99LatencyMs: 200 } },
        metrics: [{ spec: latency, baseline, candidate: shifted(15) }, { spec: cpu, baseline, candidate: shifted(0) }],
      }),
    );
    expect(verdict.verdict).toBe("marginal");
  });

  it("a one-off comparison (validation) has no interval", () => {
    expect(evaluateInterval(input({ interval: undefined })).interval).toBeNull();
  });

  it("produces JSON the strict schema accepts, unchanged by a round trip through JSON", () => {
    const inputs = [
      input(),
      input({ traffic: { canary: { requests: 2000, errors: 13, p99LatencyMs: 950 } } }),
      input({ traffic: { canary: { requests: Number.NaN, errors: 0 } }, metrics: [{ spec: latency, baseline: [Number.NaN], candidate: [] }] }),
      input({ metrics: [{ spec: latency, baseline, candidate: shifted(60) }] }),
    ];
    for (const value of inputs) {
      const verdict = evaluateInterval(value);
      expect(intervalVerdictSchema.parse(verdict)).toEqual(verdict);
      expect(JSON.parse(JSON.stringify(verdict))).toEqual(verdict);
    }
  });

  it("is pure: the same input gives an equal verdict and the input is not modified", () => {
    const value = input({ metrics: [{ spec: latency, baseline: [...baseline].reverse(), candidate: shifted(15).reverse() }] });
    const before = structuredClone(value);
    const first = evaluateInterval(value);
    expect(evaluateInterval(value)).toEqual(first);
    expect(value).toEqual(before);
  });
});
