import { describe, expect, it } from "vitest";
import { bucketLabel } from "@/components/metrics/format";

describe("bucketLabel", () => {
  it("writes every day of a leap year as Intl would, without calling it", () => {
    const intl = new Intl.DateTimeFormat("en", { month: "short", day: "numeric", timeZone: "UTC" });
    for (let day = Date.UTC(2028, 0, 1); day < Date.UTC(2029, 0, 1); day += 86_400_000) {
      const bucket = new Date(day).toISOString().slice(0, 10);
      expect(bucketLabel(bucket, "day")).toBe(intl.format(day));
    }
  });

  it("marks week buckets", () => {
    expect(bucketLabel("2026-03-02", "week")).toBe("wk Mar 2");
  });
});
