import { describe, expect, it } from "vitest";
import { checkHardThresholds, DEFAULT_MIN_REQUESTS, hardThresholdsFromPolicy, type CohortTraffic } from "@/lib/canary/thresholds";
import { hardThresholdResultSchema } from "@/lib/canary/verdict-schema";
import { defaultPolicyRules } from "@/lib/policy/policy-rules";

const at = "2026-11-25T10:05:00.000Z";
const thresholds = hardThresholdsFromPolicy(defaultPolicyRules.deployment);

describe("hard thresholds from the policy", () => {
  it("take the policy's defaults: error rate 0.5%, p99 800 ms, and 200 requests before judging", () => {
    expect(thresholds).toEqual({ maxErrorRatePercent: 0.5, maxP99LatencyMs: 800, minRequests: DEFAULT_MIN_REQUESTS });
    expect(DEFAULT_MIN_REQUESTS).toBe(200);
    expect(hardThresholdsFromPolicy({ ...defaultPolicyRules.deployment, maxP99LatencyMs: 300 }, 50)).toMatchObject({ maxP99LatencyMs: 300, minRequests: 50 });
  });
});

describe("checkHardThresholds", () => {
  type Row = [string, CohortTraffic, { verdict: string; error: [string, number | null]; latency: [string, number | null]; reason: string }];
  const table: Row[] = [
    [
      "healthy canary",
      { requests: 5000, errors: 10, p99LatencyMs: 420 },
      { verdict: "ok", error: ["ok", 0.2], latency: ["ok", 420], reason: "error rate 0.2% (10 errors in 5000 requests) ≤ 0.5%; p99 latency 420 ms ≤ 800 ms over 5000 requests" },
    ],
    [
      "error rate exactly at the limit is not above it",
      { requests: 1000, errors: 5, p99LatencyMs: 800 },
      { verdict: "ok", error: ["ok", 0.5], latency: ["ok", 800], reason: "error rate 0.5% (5 errors in 1000 requests) ≤ 0.5%; p99 latency 800 ms ≤ 800 ms over 1000 requests" },
    ],
    [
      "error rate above the limit",
      { requests: 1000, errors: 6, p99LatencyMs: 300 },
      { verdict: "breach", error: ["breach", 0.6], latency: ["ok", 300], reason: "error rate 0.6% (6 errors in 1000 requests) > 0.5%" },
    ],
    [
      "p99 above the limit",
      { requests: 400, errors: 0, p99LatencyMs: 812.5 },
      { verdict: "breach", error: ["ok", 0], latency: ["breach", 812.5], reason: "p99 latency 812.5 ms > 800 ms over 400 requests" },
    ],
    [
      "both breached: error rate named first",
      { requests: 2000, errors: 40, p99LatencyMs: 1500 },
      { verdict: "breach", error: ["breach", 2], latency: ["breach", 1500], reason: "error rate 2% (40 errors in 2000 requests) > 0.5%; p99 latency 1500 ms > 800 ms over 2000 requests" },
    ],
    [
      "below the minimum request count nothing is judged",
      { requests: 150, errors: 1, p99LatencyMs: 2000 },
      {
        verdict: "no_data",
        error: ["no_data", (1 / 150) * 100],
        latency: ["no_data", 2000],
        reason: "error rate not judged: 0.667% (1 error in 150 requests), fewer than the 200 requests needed; p99 latency 2000 ms not judged: 150 requests, fewer than the 200 needed",
      },
    ],
    [
      "below the minimum, errors that already exceed the limit at the minimum count breach",
      { requests: 150, errors: 2, p99LatencyMs: 300 },
      {
        verdict: "breach",
        error: ["breach", (2 / 150) * 100],
        latency: ["no_data", 300],
        reason: "error rate 1.33% (2 errors in 150 requests) > 0.5%: even over the 200-request minimum it would be 1%",
      },
    ],
    [
      "no traffic at all",
      { requests: 0, errors: 0, p99LatencyMs: null },
      { verdict: "no_data", error: ["no_data", null], latency: ["no_data", null], reason: "error rate not judged: no requests, fewer than the 200 requests needed; p99 latency not reported" },
    ],
    [
      "p99 missing from the source",
      { requests: 1000, errors: 0 },
      { verdict: "no_data", error: ["ok", 0], latency: ["no_data", null], reason: "error rate 0% (0 errors in 1000 requests) ≤ 0.5%; p99 latency not reported" },
    ],
    [
      "p99 NaN from the source",
      { requests: 1000, errors: 0, p99LatencyMs: Number.NaN },
      { verdict: "no_data", error: ["ok", 0], latency: ["no_data", null], reason: "error rate 0% (0 errors in 1000 requests) ≤ 0.5%; p99 latency not reported" },
    ],
    [
      "more errors than requests: unusable, not a pass",
      { requests: 10, errors: 20, p99LatencyMs: 100 },
      {
        verdict: "no_data",
        error: ["no_data", null],
        latency: ["no_data", 100],
        reason: "error rate: unusable counts (20 errors of 10 requests); p99 latency 100 ms not judged: unusable request count, fewer than the 200 needed",
      },
    ],
    [
      "negative or NaN counts: unusable",
      { requests: Number.NaN, errors: -1, p99LatencyMs: 100 },
      {
        verdict: "no_data",
        error: ["no_data", null],
        latency: ["no_data", 100],
        reason: "error rate: unusable counts (-1 errors of NaN requests); p99 latency 100 ms not judged: unusable request count, fewer than the 200 needed",
      },
    ],
  ];

  for (const [label, canary, expected] of table) {
    it(label, () => {
      const result = checkHardThresholds({ canary, thresholds, at });
      const [error, latency] = result.checks;
      expect(result.verdict).toBe(expected.verdict);
      expect([error.status, error.value]).toEqual(expected.error);
      expect([latency.status, latency.value]).toEqual(expected.latency);
      expect(result.reason).toBe(expected.reason);
      expect(result.breaches).toEqual(result.checks.filter((c) => c.status === "breach"));
      expect(hardThresholdResultSchema.parse(result)).toEqual(result);
    });
  }

  it("every check names its metric, value, threshold, unit and time", () => {
    const result = checkHardThresholds({ canary: { requests: 1000, errors: 6, p99LatencyMs: 900 }, thresholds, at });
    expect(result.breaches).toEqual([
      { metric: "error_rate_percent", value: 0.6, threshold: 0.5, unit: "%", status: "breach", at, reason: "error rate 0.6% (6 errors in 1000 requests) > 0.5%" },
      { metric: "p99_latency_ms", value: 900, threshold: 800, unit: "ms", status: "breach", at, reason: "p99 latency 900 ms > 800 ms over 1000 requests" },
    ]);
    expect(result).toMatchObject({ requests: 1000, minRequests: 200 });
  });

  it("a zero error-rate limit breaches on the first error, even below the minimum", () => {
    const strict = { ...thresholds, maxErrorRatePercent: 0 };
    expect(checkHardThresholds({ canary: { requests: 10, errors: 1 }, thresholds: strict, at }).verdict).toBe("breach");
    expect(checkHardThresholds({ canary: { requests: 10, errors: 0 }, thresholds: strict, at }).verdict).toBe("no_data");
  });

  it("rejects thresholds that cannot be applied", () => {
    const canary = { requests: 1, errors: 0 };
    expect(() => checkHardThresholds({ canary, thresholds: { ...thresholds, maxErrorRatePercent: -1 }, at })).toThrow(/maxErrorRatePercent/);
    expect(() => checkHardThresholds({ canary, thresholds: { ...thresholds, maxP99LatencyMs: 0 }, at })).toThrow(/maxP99LatencyMs/);
    expect(() => checkHardThresholds({ canary, thresholds: { ...thresholds, minRequests: 0 }, at })).toThrow(/minRequests/);
    expect(() => checkHardThresholds({ canary, thresholds: { ...thresholds, minRequests: 1.5 }, at })).toThrow(/minRequests/);
  });
});
