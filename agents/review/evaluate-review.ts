import type { ReviewOutput, RulesReport, UnreviewedFile } from "../../lib/review/review-output";
import type { EscalationReason } from "../../lib/pipeline/escalation-reasons";
import type { PolicyRules } from "../../lib/policy/policy-rules";
import type { StageOutcome } from "../../lib/pipeline/transitions";
import { CODE_EXTENSIONS, extensionOf } from "./file-view";

/**
 * Whether a file the rules did not review stops the run: code they could not read, or any file an
 * engine failed on or did not reach (that engine's rules, secrets for one, apply to every file).
 * Lockfiles and assets left unreviewed are not a reason to stop.
 */
export function blocksWhenUnreviewed(file: UnreviewedFile): boolean {
  return file.engine !== undefined || CODE_EXTENSIONS.has(extensionOf(file.file)) || /\.(sql|prisma)$/i.test(file.file);
}

/**
 * The review policy. The invariants hold whatever the model says: the effective risk is never
 * below the rules floor, and risk ≥ threshold, an API break, a schema change or a new service
 * integration always goes to a person.
 */
export function evaluateReview(input: { review: ReviewOutput; rules: RulesReport; policy: PolicyRules }): {
  effectiveRisk: number;
  outcome: StageOutcome;
} {
  const { review, rules, policy } = input;
  const threshold = policy.review.humanRiskThreshold;
  const effectiveRisk = Math.max(review.risk_score, rules.riskFloor);
  const reasons: EscalationReason[] = [];

  if (effectiveRisk >= threshold) {
    reasons.push({
      code: "high_risk",
      label: `risk ${effectiveRisk} ≥ ${threshold}`,
      detail: `Risk score ${effectiveRisk} (model ${review.risk_score}, rules floor ${rules.riskFloor}) is at or above the policy threshold ${threshold}.`,
      value: effectiveRisk,
      threshold,
    });
  }
  const apiBreaks = rules.apiBreak || review.api_breaking_changes.length > 0;
  if (apiBreaks && policy.review.escalateApiBreaks) {
    const count = Math.max(review.api_breaking_changes.length, rules.findings.filter((f) => f.category === "api_break").length);
    reasons.push({ code: "api_break", label: "API break", detail: `${count} API-breaking change${count === 1 ? "" : "s"} found.`, value: count });
  }
  if (rules.schemaChange && policy.review.escalateSchemaChanges) {
    const files = [...new Set(rules.findings.filter((f) => f.category === "schema_change").map((f) => f.file))];
    reasons.push({ code: "schema_change", label: "schema change", detail: `Schema change in ${files.join(", ")}.` });
  }
  if (rules.newIntegration && policy.review.escalateNewIntegrations) {
    const files = [...new Set(rules.findings.filter((f) => f.category === "new_integration").map((f) => f.file))];
    reasons.push({ code: "new_integration", label: "new service integration", detail: `New outbound service integration in ${files.join(", ")}.` });
  }
  const deletedLogic = rules.deletedLogic;
  if (deletedLogic && deletedLogic.count > 0 && policy.review.escalateDeletedLogic) {
    const first = deletedLogic.lines[0];
    reasons.push({
      code: "deleted_logic",
      label: "logic deleted",
      detail: `Deletes a line of logic (a condition, a return, a comparison) at ${first.file}:${first.line}${deletedLogic.count > 1 ? ` and ${deletedLogic.count - 1} more` : ""}; this policy sends every such change to a person.`,
      value: deletedLogic.count,
    });
  }
  const unreviewedSource = rules.unreviewedFiles.filter(blocksWhenUnreviewed);
  if (unreviewedSource.length > 0) {
    reasons.push({
      code: "unreviewed_files",
      label: "unreviewed files",
      detail: `Not reviewed: ${[...new Set(unreviewedSource.map((f) => `${f.file} (${f.reason})`))].join(", ")}.`,
      value: unreviewedSource.length,
    });
  }
  if (review.requires_human_review && reasons.length === 0) {
    reasons.push({ code: "model_requested_review", label: "reviewer asked for a human", detail: "The review asked for a human review." });
  }

  if (reasons.length > 0) {
    return { effectiveRisk, outcome: { kind: "escalate", summary: `Escalated: ${reasons.map((r) => r.label).join(", ")}`, reasons } };
  }
  return { effectiveRisk, outcome: { kind: "pass", summary: `Passed review with risk ${effectiveRisk}` } };
}
