import type { ChangedLineCoverage } from "../../lib/coverage/changed-line-coverage";
import type { TestSuiteResult } from "../../lib/coverage/junit-results";
import type { EscalationReason } from "../../lib/pipeline/escalation-reasons";
import type { PolicyRules } from "../../lib/policy/policy-rules";
import type { StageOutcome } from "../../lib/pipeline/transitions";

export interface TestStageEvidence {
  /** Why the suite could not be run or read (no settings, timed out, no report), or null. */
  problem: string | null;
  results: TestSuiteResult | null;
  /** Changed-line coverage after any generated tests that were kept. */
  coverage: ChangedLineCoverage | null;
}

const formatPercent = (percent: number) => `${Math.round(percent * 10) / 10}%`;

/**
 * The test policy: existing tests that fail are the PR's fault and fail the stage; a suite that
 * could not run or be read is never a pass (a person looks); changed-line coverage below the
 * target escalates with the gaps. Only a green suite that covers the change passes.
 */
export function evaluateTestStage(evidence: TestStageEvidence, policy: PolicyRules): StageOutcome {
  const target = policy.test.changedLineCoverageTarget;
  const { results, coverage } = evidence;
  if (results && results.failed + results.errored > 0) {
    const names = results.failures.slice(0, 5).map((f) => f.name);
    const more = results.failures.length > names.length ? ` and ${results.failures.length - names.length} more` : "";
    return { kind: "fail", summary: `${results.failed + results.errored} of ${results.total} tests fail: ${names.join("; ")}${more}` };
  }
  if (evidence.problem || !results || !coverage) {
    const detail = evidence.problem ?? "the test suite produced no results";
    const reason: EscalationReason = { code: "tests_not_runnable", label: "tests could not run", detail: `The tests could not be run or read: ${detail}.` };
    return { kind: "escalate", summary: `Escalated: ${detail}`, reasons: [reason] };
  }
  if (coverage.percent === null) {
    return { kind: "pass", summary: `${results.passed} tests pass; no executable lines changed` };
  }
  if (coverage.percent < target) {
    const gaps = coverage.files.filter((f) => f.uncoveredRanges.length > 0);
    const where = gaps
      .slice(0, 5)
      .map((f) => `${f.path}:${f.uncoveredRanges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(",")}`)
      .join("; ");
    const reason: EscalationReason = {
      code: "coverage_gap",
      label: `coverage ${formatPercent(coverage.percent)} < ${target}%`,
      detail: `${coverage.covered} of ${coverage.executable} changed executable lines are covered by passing tests. Uncovered: ${where}.`,
      value: Math.round(coverage.percent * 10) / 10,
      threshold: target,
    };
    return { kind: "escalate", summary: `Escalated: ${reason.label}`, reasons: [reason] };
  }
  return { kind: "pass", summary: `${results.passed} tests pass; changed-line coverage ${formatPercent(coverage.percent)} ≥ ${target}%` };
}
