import { describe, expect, it } from "vitest";
import { neutralProfile, type PerformanceProfile } from "@/agents/targets/profile";
import { BASELINE_ERROR_RATE, simulateInterval, simulationSeed, type SimulateIntervalOptions } from "@/agents/targets/simulated-service";
import { createSimulatedMetricSource } from "@/agents/targets/simulated-metric-source";
import type { DeployContext, MetricPoint } from "@/agents/targets/types";

const at = new Date("2026-11-30T12:00:00Z");
const base: SimulateIntervalOptions = { seed: 42, intervalIndex: 0, at, intervalSeconds: 60, weight: 50, profile: neutralProfile, environment: "production", requestsPerSecond: 50 };

/** Runs `count` consecutive intervals with the same options. */
function intervals(count: number, options: Partial<SimulateIntervalOptions> = {}) {
  return Array.from({ length: count }, (_, i) => simulateInterval({ ...base, ...options, intervalIndex: i }));
}
const total = (points: MetricPoint[], field: "requests") => points.reduce((sum, p) => sum + p[field], 0);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const pooledErrorRate = (points: MetricPoint[]) => points.reduce((sum, p) => sum + (p.errorRate / 100) * p.requests, 0) / total(points, "requests") * 100;

describe("the simulated service", () => {
  it("gives the same numbers for the same seed and interval, and others for another", () => {
    const first = simulateInterval(base);
    expect(simulateInterval({ ...base })).toEqual(first);
    expect(simulateInterval({ ...base, intervalIndex: 1 })).not.toEqual(first);
    expect(simulateInterval({ ...base, seed: 43 })).not.toEqual(first);
    // The time is only a label: the model reads no clock.
    expect(simulateInterval({ ...base, at: new Date("2030-01-01T00:00:00Z") }).canary.p99Ms).toBe(first.canary.p99Ms);
  });

  it("derives a stable seed per run and environment", () => {
    expect(simulationSeed("run-1", "production")).toBe(simulationSeed("run-1", "production"));
    expect(simulationSeed("run-1", "production")).not.toBe(simulationSeed("run-1", "staging"));
    expect(simulationSeed("run-1", "production")).not.toBe(simulationSeed("run-2", "production"));
  });

  it("sends about the weight's share of requests to the canary", () => {
    const runs = intervals(200, { weight: 5 });
    const canary = total(runs.map((r) => r.canary), "requests");
    const all = canary + total(runs.map((r) => r.baseline), "requests");
    // 200 intervals × 60 s × 50 requests/s, Poisson around the rate.
    expect(all).toBeGreaterThan(590_000);
    expect(all).toBeLessThan(610_000);
    expect((canary / all) * 100).toBeGreaterThan(4.8);
    expect((canary / all) * 100).toBeLessThan(5.2);
    // Each interval is near 5% as well, not only the sum.
    for (const r of runs) expect(r.canary.requests / (r.canary.requests + r.baseline.requests)).toBeLessThan(0.065);
  });

  it("routes nothing to the canary at weight 0 and everything at 100", () => {
    const closed = simulateInterval({ ...base, weight: 0 });
    expect(closed.canary).toEqual({ at, errorRate: 0, p99Ms: 0, requests: 0 });
    expect(closed.baseline.requests).toBeGreaterThan(2500);
    const promoted = simulateInterval({ ...base, weight: 100 });
    expect(promoted.baseline.requests).toBe(0);
    expect(promoted.canary.requests).toBe(closed.baseline.requests);
  });

  it("has a realistic baseline: p99 around 450 ms and about 0.1% errors", () => {
    const runs = intervals(100, { weight: 0 });
    const p99s = runs.map((r) => r.baseline.p99Ms);
    expect(mean(p99s)).toBeGreaterThan(420);
    expect(mean(p99s)).toBeLessThan(480);
    const errorRate = pooledErrorRate(runs.map((r) => r.baseline));
    expect(errorRate).toBeGreaterThan(BASELINE_ERROR_RATE * 0.7);
    expect(errorRate).toBeLessThan(BASELINE_ERROR_RATE * 1.3);
  });

  it("raises the canary's p99 by the profile's latency factor, leaving the baseline as it was", () => {
    const slower: PerformanceProfile = { ...neutralProfile, latencyFactor: 1.5 };
    const neutralRuns = intervals(30);
    const slowRuns = intervals(30, { profile: slower });
    const ratio = (runs: typeof neutralRuns) => mean(runs.map((r) => r.canary.p99Ms)) / mean(runs.map((r) => r.baseline.p99Ms));
    expect(ratio(neutralRuns)).toBeGreaterThan(0.93);
    expect(ratio(neutralRuns)).toBeLessThan(1.07);
    expect(ratio(slowRuns)).toBeGreaterThan(1.4);
    expect(ratio(slowRuns)).toBeLessThan(1.6);
    expect(slowRuns.map((r) => r.baseline)).toEqual(neutralRuns.map((r) => r.baseline));
  });

  it("adds the profile's extra error rate to the canary only", () => {
    const failing: PerformanceProfile = { ...neutralProfile, extraErrorRate: 2 };
    const runs = intervals(30, { profile: failing });
    const canaryRate = pooledErrorRate(runs.map((r) => r.canary));
    const baselineRate = pooledErrorRate(runs.map((r) => r.baseline));
    expect(canaryRate).toBeGreaterThan(1.8);
    expect(canaryRate).toBeLessThan(2.4);
    expect(baselineRate).toBeLessThan(0.2);
  });

  it("makes staging slower by its capacity factor (1.3 unless told otherwise)", () => {
    const same = { weight: 0, requestsPerSecond: 50 };
    const production = intervals(5, { ...same, environment: "production" });
    const staging = intervals(5, { ...same, environment: "staging" });
    staging.forEach((r, i) => {
      expect(r.baseline.requests).toBe(production[i].baseline.requests);
      expect(r.baseline.p99Ms / production[i].baseline.p99Ms).toBeCloseTo(1.3, 2);
    });
    const fullSizeStaging = intervals(5, { ...same, environment: "staging", capacityFactor: 1 });
    expect(fullSizeStaging.map((r) => r.baseline)).toEqual(production.map((r) => r.baseline));
  });

  it("gives production a busy service's traffic and staging a load test's by default", () => {
    const defaults = { ...base, requestsPerSecond: undefined, intervalSeconds: 15, weight: 5 };
    const production = simulateInterval({ ...defaults, environment: "production" });
    const staging = simulateInterval({ ...defaults, environment: "staging" });
    // 1000/s: a 5% canary serves ~750 requests in a 15-second point, enough for a stable p99.
    expect(production.canary.requests + production.baseline.requests).toBeGreaterThan(14_000);
    expect(production.canary.requests).toBeGreaterThan(600);
    expect(staging.canary.requests + staging.baseline.requests).toBeLessThan(2_000);
  });

  it("keeps a neutral 5% canary under the 800 ms rollback threshold and pushes a 2.2× slower one over it", () => {
    // Ten 10-minute canaries at 15-second points, as the deployment agent reads them.
    const points = (latencyFactor: number) =>
      Array.from({ length: 10 }, (_, seed) =>
        Array.from({ length: 40 }, (_, i) => simulateInterval({ ...base, requestsPerSecond: undefined, seed, intervalIndex: i, intervalSeconds: 15, weight: 5, profile: { ...neutralProfile, latencyFactor } }).canary),
      ).flat();
    expect(Math.max(...points(1).map((p) => p.p99Ms))).toBeLessThan(800);
    const slow = points(2.2);
    expect(slow.filter((p) => p.p99Ms > 800).length / slow.length).toBeGreaterThan(0.9);
  });

  it("refuses a weight outside 0–100 and an empty interval", () => {
    expect(() => simulateInterval({ ...base, weight: 101 })).toThrow(/weight/);
    expect(() => simulateInterval({ ...base, weight: Number.NaN })).toThrow(/weight/);
    expect(() => simulateInterval({ ...base, intervalSeconds: 0 })).toThrow(/intervalSeconds/);
  });
});

describe("the simulated metric source", () => {
  const ctx: DeployContext = {
    runId: "run-1",
    repository: "demo-shop",
    pullRequestNumber: 7,
    headSha: "a".repeat(40),
    environment: "production",
    variables: {},
    profile: { ...neutralProfile, latencyFactor: 1.5 },
    seed: simulationSeed("run-1", "production"),
  };
  const source = createSimulatedMetricSource();
  const from = new Date("2026-11-30T12:00:00Z");
  const minutes = (n: number) => new Date(from.getTime() + n * 60_000);

  it("reports one point per step inside the window, at the end of each step", async () => {
    const series = await source.read(ctx, { from, to: minutes(10), stepSeconds: 60, weight: 5 });
    expect(series.canary.map((p) => p.at)).toEqual(Array.from({ length: 10 }, (_, i) => minutes(i + 1)));
    expect(series.baseline).toHaveLength(10);
    const canaryRequests = series.canary.reduce((sum, p) => sum + p.requests, 0);
    const baselineRequests = series.baseline.reduce((sum, p) => sum + p.requests, 0);
    expect(canaryRequests / (canaryRequests + baselineRequests)).toBeGreaterThan(0.04);
    expect(canaryRequests / (canaryRequests + baselineRequests)).toBeLessThan(0.06);
    // The profile shows in the numbers.
    expect(mean(series.canary.map((p) => p.p99Ms))).toBeGreaterThan(1.25 * mean(series.baseline.map((p) => p.p99Ms)));
  });

  it("gives the same numbers when an overlapping window is read again", async () => {
    const whole = await source.read(ctx, { from, to: minutes(10), stepSeconds: 60, weight: 5 });
    const tail = await source.read(ctx, { from: minutes(4), to: minutes(10), stepSeconds: 60, weight: 5 });
    expect(tail.canary).toEqual(whole.canary.slice(4));
    expect(tail.baseline).toEqual(whole.baseline.slice(4));
  });

  it("has no canary points while the canary gets no traffic", async () => {
    const series = await source.read(ctx, { from, to: minutes(3), stepSeconds: 60, weight: 0 });
    expect(series.canary).toEqual([]);
    expect(series.baseline).toHaveLength(3);
  });

  it("uses the configured traffic and capacity", async () => {
    const busy = createSimulatedMetricSource({ requestsPerSecond: 500, capacityFactor: 2 });
    const [point] = (await busy.read(ctx, { from, to: minutes(1), stepSeconds: 60, weight: 0 })).baseline;
    expect(point.requests).toBeGreaterThan(28_000);
    expect(point.p99Ms).toBeGreaterThan(800);
  });
});
