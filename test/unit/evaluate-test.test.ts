import { describe, expect, it } from "vitest";
import type { ChangedLineCoverage } from "@/lib/coverage/changed-line-coverage";
import type { TestSuiteResult } from "@/lib/coverage/junit-results";
import { evaluateTestStage } from "@/agents/test/evaluate-test";
import { defaultPolicyRules } from "@/lib/policy/policy-rules";

const green: TestSuiteResult = { total: 4, passed: 4, failed: 0, errored: 0, skipped: 0, failures: [] };
const coverage = (covered: number, executable: number, uncoveredRanges: [number, number][] = []): ChangedLineCoverage => ({
  executable,
  covered,
  percent: executable === 0 ? null : (covered / executable) * 100,
  files: [
    {
      path: "src/a.js",
      status: "measured",
      changedLines: executable,
      executable,
      covered,
      percent: executable === 0 ? null : (covered / executable) * 100,
      uncoveredLines: uncoveredRanges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i)),
      uncoveredRanges,
    },
  ],
});

describe("the test stage policy", () => {
  it("passes a green suite that covers the target", () => {
    expect(evaluateTestStage({ problem: null, results: green, coverage: coverage(8, 10, [[4, 5]]) }, defaultPolicyRules)).toEqual({
      kind: "pass",
      summary: "4 tests pass; changed-line coverage 80% ≥ 80%",
    });
  });

  it("escalates below the target with the value, the threshold and where the gaps are", () => {
    const outcome = evaluateTestStage({ problem: null, results: green, coverage: coverage(7, 10, [[4, 5], [9, 9]]) }, defaultPolicyRules);
    expect(outcome.kind).toBe("escalate");
    if (outcome.kind !== "escalate") return;
    expect(outcome.reasons).toEqual([
      expect.objectContaining({ code: "coverage_gap", label: "coverage 70% < 80%", value: 70, threshold: 80 }),
    ]);
    expect(outcome.reasons[0].detail).toContain("src/a.js:4-5,9");
  });

  it("fails when existing tests fail, even with full coverage, naming them", () => {
    const red: TestSuiteResult = {
      ...green,
      passed: 3,
      failed: 1,
      failures: [{ name: "sums totals", classname: null, file: null, message: "1999 !== 2000" }],
    };
    expect(evaluateTestStage({ problem: null, results: red, coverage: coverage(10, 10) }, defaultPolicyRules)).toEqual({
      kind: "fail",
      summary: "1 of 4 tests fail: sums totals",
    });
  });

  it("never passes a suite that could not run or be read", () => {
    for (const evidence of [
      { problem: "the test command timed out after 5 s", results: null, coverage: null },
      { problem: "the test command wrote no coverage report at coverage/lcov.info", results: green, coverage: null },
      { problem: null, results: null, coverage: null },
    ]) {
      const outcome = evaluateTestStage(evidence, defaultPolicyRules);
      expect(outcome.kind).toBe("escalate");
      if (outcome.kind === "escalate") expect(outcome.reasons.map((r) => r.code)).toEqual(["tests_not_runnable"]);
    }
  });

  it("passes a change with no executable lines, saying so", () => {
    expect(evaluateTestStage({ problem: null, results: green, coverage: coverage(0, 0) }, defaultPolicyRules)).toEqual({
      kind: "pass",
      summary: "4 tests pass; no executable lines changed",
    });
  });

  it("follows the policy's target", () => {
    const strict = { ...defaultPolicyRules, test: { ...defaultPolicyRules.test, changedLineCoverageTarget: 100 } };
    expect(evaluateTestStage({ problem: null, results: green, coverage: coverage(9, 10, [[3, 3]]) }, strict).kind).toBe("escalate");
  });
});
