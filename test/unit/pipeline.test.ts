import { describe, expect, it } from "vitest";
import { evaluateReview } from "@/agents/review/evaluate-review";
import { defaultPolicyRules, policyRulesSchema, type PolicyRules } from "@/lib/policy/policy-rules";
import { nextStage, stages } from "@/lib/pipeline/stages";
import { decideTransition, retryDelayMs, runStatusAfter, type StageOutcome } from "@/lib/pipeline/transitions";
import type { ReviewOutput, RulesReport } from "@/lib/review/review-output";

const retry = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 5000 };
const outcomes: StageOutcome[] = [
  { kind: "pass", summary: "ok" },
  { kind: "escalate", summary: "needs a person", reasons: [{ code: "high_risk", label: "risk 8 ≥ 7", detail: "", value: 8, threshold: 7 }] },
  { kind: "fail", summary: "broken" },
  { kind: "rollback", summary: "rolled back" },
  { kind: "error", summary: "LLM timeout" },
];

describe("stage transitions: every stage × every outcome × attempt", () => {
  for (const stage of stages) {
    for (const outcome of outcomes) {
      for (const attempt of [1, 2, 3]) {
        it(`${stage} / ${outcome.kind} / attempt ${attempt}`, () => {
          const t = decideTransition({ stage, attempt, outcome, retry });
          const next = nextStage(stage);
          switch (outcome.kind) {
            case "pass":
              if (!next) expect(t).toEqual({ type: "complete", stageStatus: "passed" });
              else expect(t).toEqual({ type: "advance", stageStatus: "passed", nextStage: next });
              break;
            case "escalate":
              expect(t).toEqual({ type: "escalate", stageStatus: "escalated", reasons: outcome.reasons });
              break;
            case "fail":
              expect(t).toEqual({ type: "fail", stageStatus: "failed" });
              break;
            case "rollback":
              expect(t).toEqual({ type: "rollback", stageStatus: "rolled_back" });
              break;
            case "error":
              if (attempt < 3) {
                expect(t).toMatchObject({ type: "retry", stageStatus: "error", nextAttempt: attempt + 1 });
              } else {
                expect(t).toMatchObject({ type: "escalate", stageStatus: "error" });
                expect(t.type === "escalate" && t.reasons.map((r) => r.code)).toEqual(["agent_error"]);
              }
          }
          // Nothing ever advances on an error.
          if (outcome.kind === "error") expect(["advance", "complete"]).not.toContain(t.type);
        });
      }
    }
  }

  it("maps each transition to the run's status", () => {
    expect(runStatusAfter({ type: "advance", stageStatus: "passed", nextStage: "test" })).toBe("queued");
    expect(runStatusAfter({ type: "retry", stageStatus: "error", nextAttempt: 2, delayMs: 1 })).toBe("queued");
    expect(runStatusAfter({ type: "complete", stageStatus: "passed" })).toBe("done");
    expect(runStatusAfter({ type: "escalate", stageStatus: "escalated", reasons: [] })).toBe("escalated");
    expect(runStatusAfter({ type: "fail", stageStatus: "failed" })).toBe("failed");
    expect(runStatusAfter({ type: "rollback", stageStatus: "rolled_back" })).toBe("rolled_back");
  });

  it("backs off exponentially up to the cap", () => {
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(a, retry))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
});

const cleanReview: ReviewOutput = {
  risk_score: 2,
  security_issues: [],
  performance_concerns: [],
  coverage_gaps: [],
  api_breaking_changes: [],
  auto_approvable: true,
  requires_human_review: false,
  review_rationale: "small change",
};
const cleanRules: RulesReport = { findings: [], riskFloor: 1, apiBreak: false, schemaChange: false, newIntegration: false, unreviewedFiles: [] };
const finding = { file: "src/a.ts", line: 3, severity: "high" as const, message: "x" };

function codes(review: Partial<ReviewOutput>, rules: Partial<RulesReport>, policy: PolicyRules = defaultPolicyRules) {
  const result = evaluateReview({ review: { ...cleanReview, ...review }, rules: { ...cleanRules, ...rules }, policy });
  return { risk: result.effectiveRisk, kind: result.outcome.kind, codes: result.outcome.kind === "escalate" ? result.outcome.reasons.map((r) => r.code) : [] };
}

describe("review policy", () => {
  it("passes a clean, low-risk change", () => {
    expect(codes({}, {})).toEqual({ risk: 2, kind: "pass", codes: [] });
  });

  it.each([
    [1, 6, "pass"],
    [6, 6, "pass"],
    [7, 1, "escalate"],
    [1, 7, "escalate"],
    [10, 1, "escalate"],
  ])("model risk %i with rules floor %i → %s at the default threshold 7", (model, floor, kind) => {
    expect(codes({ risk_score: model }, { riskFloor: floor }).kind).toBe(kind);
  });

  it.each([3, 5, 7, 9])("honours an edited threshold of %i", (threshold) => {
    const policy = policyRulesSchema.parse({ review: { humanRiskThreshold: threshold } });
    for (let risk = 1; risk <= 10; risk++) {
      expect(codes({ risk_score: risk }, {}, policy).kind).toBe(risk >= threshold ? "escalate" : "pass");
    }
  });

  it("never lets the model lower risk below the rules floor", () => {
    expect(codes({ risk_score: 1 }, { riskFloor: 8 })).toMatchObject({ risk: 8, kind: "escalate", codes: ["high_risk"] });
  });

  it("enforces the invariants whatever the model says", () => {
    const says = { risk_score: 1, requires_human_review: false, auto_approvable: true };
    expect(codes(says, { apiBreak: true }).codes).toEqual(["api_break"]);
    expect(codes({ ...says, api_breaking_changes: [finding] }, {}).codes).toEqual(["api_break"]);
    expect(codes(says, { schemaChange: true, findings: [{ ...finding, category: "schema_change", rule: "ddl" }] }).codes).toEqual(["schema_change"]);
    expect(codes(says, { newIntegration: true }).codes).toEqual(["new_integration"]);
    expect(codes(says, { unreviewedFiles: [{ file: "src/huge.ts", reason: "too large" }] }).codes).toEqual(["unreviewed_files"]);
    // A lockfile that was not reviewed is no reason to stop.
    expect(codes(says, { unreviewedFiles: [{ file: "package-lock.json", reason: "lockfile" }] }).kind).toBe("pass");
  });

  it("lists every rule that fired", () => {
    expect(codes({ risk_score: 9 }, { apiBreak: true, schemaChange: true, newIntegration: true }).codes).toEqual([
      "high_risk",
      "api_break",
      "schema_change",
      "new_integration",
    ]);
  });

  it("lets the policy turn off the API-break, schema and integration rules (not the risk threshold)", () => {
    const policy = policyRulesSchema.parse({ review: { escalateApiBreaks: false, escalateSchemaChanges: false, escalateNewIntegrations: false } });
    expect(codes({}, { apiBreak: true, schemaChange: true, newIntegration: true }, policy).kind).toBe("pass");
    expect(codes({ risk_score: 8 }, {}, policy).codes).toEqual(["high_risk"]);
  });

  it("escalates when the model itself asks for a person", () => {
    expect(codes({ requires_human_review: true }, {}).codes).toEqual(["model_requested_review"]);
  });

  it("states the threshold and the value in the high-risk reason", () => {
    const result = evaluateReview({ review: { ...cleanReview, risk_score: 8 }, rules: cleanRules, policy: defaultPolicyRules });
    expect(result.outcome.kind === "escalate" && result.outcome.reasons[0]).toMatchObject({ label: "risk 8 ≥ 7", value: 8, threshold: 7 });
  });
});
