import { describe, expect, it } from "vitest";
import { percentileCont, slowestStage } from "@/lib/metrics/report";
import { teamMappingOf, teamOf } from "@/lib/metrics/teams";
import { bucketKey, bucketKeys, metricsQuerySchema, resolveWindow } from "@/lib/metrics/window";

describe("metrics periods and buckets", () => {
  it("a preset period ends at the end of today (UTC) and is compared with the one before", () => {
    const window = resolveWindow(metricsQuerySchema.parse({ period: "30d" }), new Date("2026-05-20T15:30:00Z"));
    expect(window.to.toISOString()).toBe("2026-05-21T00:00:00.000Z");
    expect(window.from.toISOString()).toBe("2026-04-21T00:00:00.000Z");
    expect(window.previousFrom.toISOString()).toBe("2026-03-22T00:00:00.000Z");
    expect(window.bucket).toBe("day");
    expect(resolveWindow(metricsQuerySchema.parse({ period: "210d" })).bucket).toBe("week");
  });

  it("weeks start on Monday, UTC, and every overlapping bucket is listed", () => {
    expect(bucketKey(new Date("2026-03-08T23:59:59Z"), "week")).toBe("2026-03-02"); // a Sunday
    expect(bucketKey(new Date("2026-03-09T00:00:00Z"), "week")).toBe("2026-03-09");
    expect(bucketKeys({ from: new Date("2026-03-04T00:00:00Z"), to: new Date("2026-03-17T00:00:00Z"), bucket: "week" })).toEqual(["2026-03-02", "2026-03-09", "2026-03-16"]);
    expect(bucketKeys({ from: new Date("2026-03-04T00:00:00Z"), to: new Date("2026-03-06T00:00:00Z"), bucket: "day" })).toEqual(["2026-03-04", "2026-03-05"]);
  });

  it.each([
    [{ period: "12d" }, "period"],
    [{ period: "30d", from: "2026-01-01", to: "2026-02-01" }, "period"],
    [{ from: "2026-01-01" }, "to"],
    [{ from: "2026-02-01", to: "2026-01-01" }, "to"],
    [{ from: "2024-01-01", to: "2026-06-01" }, "to"],
    [{ from: "1 May", to: "2026-06-01" }, "from"],
    [{ bucket: "month" }, "bucket"],
    [{ simulated: "maybe" }, "simulated"],
  ])("rejects %j naming the field %s", (input, field) => {
    const result = metricsQuerySchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join("."))).toContain(field);
  });

  it("treats empty parameters as absent", () => {
    expect(metricsQuerySchema.parse({ period: "", repository: "", team: "", simulated: "" })).toEqual({ simulated: "include" });
  });
});

describe("teams by author group", () => {
  it("uses the repository's mapping by address, then by domain, then the domain's first label", () => {
    const mapping = teamMappingOf({ teams: { "ana@acme.com": "payments", "@contractor.io": "platform", "bad@acme.com": 3, "empty@acme.com": "" } });
    expect(mapping).toEqual({ "ana@acme.com": "payments", "@contractor.io": "platform" });
    expect(teamOf(" Ana@ACME.com ", mapping)).toBe("payments");
    expect(teamOf("bo@contractor.io", mapping)).toBe("platform");
    expect(teamOf("cy@search.acme.com", mapping)).toBe("search");
    expect(teamOf("empty@acme.com", mapping)).toBe("acme");
    expect(teamOf("octocat")).toBe("unassigned");
    expect(teamMappingOf(null)).toEqual({});
    expect(teamMappingOf({ teams: ["x"] })).toEqual({});
  });
});

describe("percentiles and the slowest stage", () => {
  it("interpolates like PostgreSQL's percentile_cont", () => {
    expect(percentileCont([], 0.5)).toBeNull();
    expect(percentileCont([7], 0.9)).toBe(7);
    expect(percentileCont([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(percentileCont([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1, 10);
  });

  it("picks the stage with the most hours per run, ignoring stages no run reached", () => {
    expect(
      slowestStage([
        { stage: "review", runs: 10, queueHours: 5, agentHours: 5, humanHours: 30 },
        { stage: "test", runs: 2, queueHours: 6, agentHours: 2, humanHours: 0 },
        { stage: "staging", runs: 0, queueHours: 0, agentHours: 0, humanHours: 0 },
      ]),
    ).toBe("review");
    expect(slowestStage([])).toBeNull();
  });
});
