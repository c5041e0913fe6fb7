import { z } from "zod";

/** A finding cites where it is: every one has a file, and a line when it has one. */
export const findingSchema = z.object({
  file: z.string(),
  line: z.number().int().positive().nullable(),
  severity: z.enum(["low", "medium", "high", "critical"]),
  message: z.string(),
});
export type Finding = z.infer<typeof findingSchema>;

/**
 * The review agent's output: exactly the review schema of the source case study. The LLM fills
 * it through structured output; the heuristic provider fills it from the rules.
 */
export const reviewOutputSchema = z.object({
  risk_score: z.number().int().min(1).max(10),
  security_issues: z.array(findingSchema),
  performance_concerns: z.array(findingSchema),
  coverage_gaps: z.array(findingSchema),
  api_breaking_changes: z.array(findingSchema),
  auto_approvable: z.boolean(),
  requires_human_review: z.boolean(),
  review_rationale: z.string(),
});
export type ReviewOutput = z.infer<typeof reviewOutputSchema>;

/** The four finding lists of a review, in the order a reviewer reads them. */
export type ReviewFindingGroup = "security_issues" | "api_breaking_changes" | "performance_concerns" | "coverage_gaps";

/** What the deterministic rules look for. They run in every mode (the rules floor). */
export const ruleCategories = [
  "hardcoded_secret",
  "sql_injection",
  "command_injection",
  "code_injection",
  "xss",
  "path_traversal",
  "ssrf",
  "deserialization",
  "tls_disabled",
  "cors_open",
  "csrf_disabled",
  "auth_weakened",
  "removed_safeguard",
  "auth_change",
  "api_break",
  "new_integration",
  "schema_change",
  "untested_change",
  "large_change",
] as const;
export type RuleCategory = (typeof ruleCategories)[number];

export interface RuleFinding extends Finding {
  category: RuleCategory;
  /** Short id of the rule that fired within its engine, e.g. "aws-access-token". */
  rule: string;
  /** The engine that ran the rule, e.g. "gitleaks" (absent in reports stored before engines). */
  engine?: string;
}

/** Where a finding comes from, as a reader sees it: "gitleaks:aws-access-token". */
export function ruleIdOf(finding: Pick<RuleFinding, "engine" | "rule">): string {
  return finding.engine ? `${finding.engine}:${finding.rule}` : finding.rule;
}

/** A file the rules did not read, or that one engine did not check (it failed or ran out of time). */
export interface UnreviewedFile {
  file: string;
  reason: string;
  /** Set when one engine did not check the file; such a gap escalates whatever the file is. */
  engine?: string;
}

/** The rules' verdict on a diff: findings and the minimum risk they justify. */
export interface RulesReport {
  findings: RuleFinding[];
  /** 1–10: the LLM may raise risk above this, never lower it. */
  riskFloor: number;
  apiBreak: boolean;
  schemaChange: boolean;
  newIntegration: boolean;
  /**
   * Deleted lines of logic in code (not tests): how many, and the first few of each file. They
   * escalate under a policy with `review.escalateDeletedLogic` (absent in reports stored before it).
   */
  deletedLogic?: { count: number; lines: { file: string; line: number }[] };
  /** Files the rules could not read (binary, generated, too large): listed as not reviewed. */
  unreviewedFiles: UnreviewedFile[];
  /** Checks that did not run at all, and why (no repository for the whole-file engines). */
  notChecked?: string[];
}

/**
 * A decision's output (AgentDecision.output, stored JSON) as its readers see it: the review stage
 * writes `{ review, rules }` (agents/review/review-agent.ts), other stages write other things, and
 * outputs stored by older versions lack the newer fields, so every part is optional.
 */
export interface StoredDecisionOutput {
  review?: StoredReviewOutput;
  rules?: StoredRulesReport;
}

export type StoredReviewOutput = Partial<ReviewOutput>;

/** A rule finding as stored: reports from before engines and rule ids carry only the finding. */
export type StoredRuleFinding = Finding & Partial<Pick<RuleFinding, "rule" | "category" | "engine">>;

export type StoredRulesReport = Partial<Omit<RulesReport, "findings">> & { findings?: StoredRuleFinding[] };
