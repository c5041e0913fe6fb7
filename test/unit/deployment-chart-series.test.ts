import { describe, expect, it } from "vitest";
import { chartRows, timeDomain, timeTicks, weightRows } from "@/lib/deployments/chart-series";
import type { MetricSamplePoint } from "@/lib/deployments/load-deployment";

const t0 = Date.parse("2026-11-25T10:00:00.000Z");
const sample = (seconds: number, errorRate: number, p99Ms = 300, requests = 400): MetricSamplePoint => ({
  at: new Date(t0 + seconds * 1000).toISOString(),
  errorRate,
  p99Ms,
  requests,
});

describe("the canary charts' rows", () => {
  it("joins canary and baseline on time, leaving a cohort without a sample at that time empty", () => {
    const canary = [sample(0, 0.1, 310, 400), sample(10, 0.2, 320, 410)];
    const baseline = [sample(0, 0.05, 300, 8000), sample(5, 0.06, 305, 8100)];
    const { errorRate, p99Ms, rawCount, span } = chartRows({ canary, baseline }, 100);
    expect(rawCount).toBe(4);
    expect(span).toEqual([t0, t0 + 10_000]);
    expect(chartRows({ canary: [], baseline: [] }, 100)).toEqual({ errorRate: [], p99Ms: [], rawCount: 0, span: null });
    expect(errorRate).toEqual([
      { t: t0, canary: 0.1, baseline: 0.05, canaryRequests: 400, baselineRequests: 8000 },
      { t: t0 + 5_000, canary: null, baseline: 0.06, canaryRequests: null, baselineRequests: 8100 },
      { t: t0 + 10_000, canary: 0.2, baseline: null, canaryRequests: 410, baselineRequests: null },
    ]);
    expect(p99Ms.map((row) => [row.canary, row.baseline])).toEqual([
      [310, 300],
      [null, 305],
      [320, null],
    ]);
  });

  it("draws 10,000 intervals per cohort with a bounded number of rows, keeping each metric's spikes in each cohort", () => {
    const canary = Array.from({ length: 10_000 }, (_, i) => sample(i * 10, 0.1 + (i % 13) / 1000, 300 + (i % 11)));
    const baseline = Array.from({ length: 10_000 }, (_, i) => sample(i * 10, 0.1 + (i % 7) / 1000, 300 + (i % 5)));
    canary[8_765] = sample(87_650, 3.2);
    canary[4_321] = sample(43_210, 0.1, 1_900);
    baseline[1_234] = sample(12_340, 0.9);
    const { errorRate, p99Ms, rawCount } = chartRows({ canary, baseline }, 400);
    expect(rawCount).toBe(20_000);
    expect(errorRate.length).toBeLessThanOrEqual(800);
    expect(p99Ms.length).toBeLessThanOrEqual(800);
    const spike = errorRate.find((row) => row.canary === 3.2);
    expect(spike?.t).toBe(t0 + 87_650_000);
    // A joined row keeps both cohorts' values of that interval, for the tooltip.
    expect(spike?.baseline).toBe(baseline[8_765].errorRate);
    expect(errorRate.find((row) => row.baseline === 0.9)?.t).toBe(t0 + 12_340_000);
    expect(p99Ms.find((row) => row.canary === 1_900)?.t).toBe(t0 + 43_210_000);
  });

  it("draws the weight as steps from 0 at the start, held until the end of the axis", () => {
    const domain = [t0, t0 + 600_000] as const;
    const history = [
      { at: new Date(t0 + 5_000).toISOString(), weight: 5, stepId: "3", kind: "set_weight" as const },
      { at: new Date(t0 + 300_000).toISOString(), weight: 0, stepId: "9", kind: "rollback" as const },
    ];
    expect(weightRows(history, domain)).toEqual([
      { t: t0, weight: 0 },
      { t: t0 + 5_000, weight: 5 },
      { t: t0 + 300_000, weight: 0 },
      { t: t0 + 600_000, weight: 0 },
    ]);
    expect(weightRows([], domain)).toEqual([
      { t: t0, weight: 0 },
      { t: t0 + 600_000, weight: 0 },
    ]);
  });

  it("runs the time axis to now while live, and to the end (or last sample or step) when finished", () => {
    const base = { startedAt: new Date(t0).toISOString(), sampleSpan: [t0 - 30_000, t0 + 100_000] as const, stepTimes: [new Date(t0 + 200_000).toISOString()] };
    expect(timeDomain({ ...base, finishedAt: null, live: true, now: t0 + 900_000 })).toEqual([t0 - 30_000, t0 + 900_000]);
    expect(timeDomain({ ...base, finishedAt: new Date(t0 + 150_000).toISOString(), live: false, now: t0 + 900_000 })).toEqual([t0 - 30_000, t0 + 200_000]);
    expect(timeDomain({ startedAt: new Date(t0).toISOString(), finishedAt: null, live: false, now: t0, sampleSpan: null, stepTimes: [] })).toEqual([t0, t0 + 60_000]);
  });
});

describe("the time axis' ticks", () => {
  it("falls on round clock times, about six of them, whatever the span", () => {
    const ten = timeTicks([t0 + 7_000, t0 + 10 * 60_000 + 7_000]);
    expect(ten.step).toBe(2 * 60_000);
    expect(ten.ticks).toEqual([2, 4, 6, 8, 10].map((m) => t0 + m * 60_000));
    const day = timeTicks([t0, t0 + 28 * 3_600_000]);
    expect(day.step).toBe(6 * 3_600_000);
    expect(day.ticks.every((t) => t % (6 * 3_600_000) === 0)).toBe(true);
    expect(day.ticks.length).toBeLessThanOrEqual(6);
    const month = timeTicks([t0, t0 + 30 * 86_400_000]);
    expect(month.step % 86_400_000).toBe(0);
    expect(month.ticks.length).toBeLessThanOrEqual(7);
  });
});
