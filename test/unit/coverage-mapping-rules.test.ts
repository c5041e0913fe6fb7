import { describe, expect, it } from "vitest";
import { mapCoverageToDiff } from "@/lib/coverage/changed-line-coverage";
import type { CoverageReport } from "@/lib/coverage/coverage-report";
import { parseUnifiedDiff } from "@/lib/diff/unified-diff";

/** A report from { path: { line: hits } }. */
function report(files: Record<string, Record<number, number>>): CoverageReport {
  return new Map(Object.entries(files).map(([path, lines]) => [path, { path, lines: new Map(Object.entries(lines).map(([l, h]) => [Number(l), h])) }]));
}

/** One hunk of a modified file: `lines` are [marker, content] from new line `newStart` on. */
function hunkDiff(path: string, oldStart: number, newStart: number, lines: Array<[" " | "+" | "-", string]>): string {
  const oldCount = lines.filter(([m]) => m !== "+").length;
  const newCount = lines.filter(([m]) => m !== "-").length;
  return [`diff --git a/${path} b/${path}`, `--- a/${path}`, `+++ b/${path}`, `@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`, ...lines.map(([m, c]) => `${m}${c}`)].join("\n") + "\n";
}

const map = (diffs: string[], coverage: CoverageReport) => mapCoverageToDiff(parseUnifiedDiff(diffs.join("")), coverage);

describe("mapCoverageToDiff rules", () => {
  it("counts only additions of a modified line, at their new line numbers", () => {
    const diff = hunkDiff("src/a.ts", 10, 12, [
      [" ", "function f() {"], // 12
      ["-", "  return 1;"],
      ["+", "  return 2;"], // 13
      [" ", "}"], // 14
    ]);
    const result = map([diff], report({ "src/a.ts": { 12: 1, 13: 0, 14: 1 } }));
    expect(result.files).toEqual([{ path: "src/a.ts", status: "measured", changedLines: 1, executable: 1, covered: 0, percent: 0, uncoveredLines: [13], uncoveredRanges: [[13, 13]] }]);
  });

  it("a change that only deletes lines has no executable changes", () => {
    const diff = hunkDiff("src/a.ts", 1, 1, [
      [" ", "a();"],
      ["-", "b();"],
      [" ", "c();"],
    ]);
    const result = map([diff], report({ "src/a.ts": { 1: 1, 2: 1 } }));
    expect(result.files[0]).toMatchObject({ status: "no_executable_changes", changedLines: 0, executable: 0, percent: null });
    expect(result.percent).toBeNull();
  });

  it("lines the report lists but that are blank or comments (V8 lists them) are not executable", () => {
    const diff = hunkDiff("src/a.js", 1, 1, [
      ["+", "// explains why"],
      ["+", ""],
      ["+", "run();"],
    ]);
    const result = map([diff], report({ "src/a.js": { 1: 0, 2: 0, 3: 0 } }));
    expect(result.files[0]).toMatchObject({ status: "measured", changedLines: 3, executable: 1, covered: 0, uncoveredLines: [3] });
  });

  it("a file not in the report with only comments added has no executable changes", () => {
    const diff = hunkDiff("src/a.py", 4, 4, [
      ["+", "# a note"],
      ["+", "   "],
    ]);
    expect(map([diff], report({})).files[0]).toMatchObject({ status: "no_executable_changes", changedLines: 2, executable: 0, percent: null });
  });

  it("leaves non-source files out and test files out of the totals, even when the report covers them", () => {
    const diffs = [
      hunkDiff("README.md", 1, 1, [["+", "run();"]]),
      hunkDiff("types/env.d.ts", 1, 1, [["+", "declare const x: number;"]]),
      hunkDiff("src/a.test.ts", 1, 1, [["+", "it('x', () => {});"]]),
      hunkDiff("src/a.ts", 1, 1, [["+", "run();"]]),
    ];
    const result = map(diffs, report({ "src/a.test.ts": { 1: 0 }, "src/a.ts": { 1: 3 } }));
    expect(result.files.map((f) => [f.path, f.status, f.changedLines, f.executable])).toEqual([
      ["src/a.test.ts", "test_file", 1, 0],
      ["src/a.ts", "measured", 1, 1],
    ]);
    expect([result.executable, result.covered, result.percent]).toEqual([1, 1, 100]);
  });

  it("a block comment opened in a new file's first line stays a comment until it closes", () => {
    const diff = ["diff --git a/src/n.ts b/src/n.ts", "new file mode 100644", "--- /dev/null", "+++ b/src/n.ts", "@@ -0,0 +1,5 @@", "+/*", "+ Licensed under MIT", "+ no stars here", "+*/", "+export const n = 1;"].join("\n") + "\n";
    expect(map([diff], report({})).files[0]).toMatchObject({ status: "not_in_report", changedLines: 5, executable: 1, uncoveredLines: [5] });
  });

  it("reports percentages unrounded", () => {
    const diff = hunkDiff("src/a.ts", 1, 1, [
      ["+", "a();"],
      ["+", "b();"],
      ["+", "c();"],
    ]);
    const result = map([diff], report({ "src/a.ts": { 1: 1, 2: 1, 3: 0 } }));
    expect(result.percent).toBe((2 / 3) * 100);
    expect(result.files[0].percent).toBe((2 / 3) * 100);
  });
});
