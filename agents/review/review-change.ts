/**
 * One review of one change, as the gate decides it: the rules (with the whole files when the
 * repository could be read), the rules' heuristic review as the floor, the LLM's review above it
 * when one is configured, and the review policy. The review agent records what this returns; the
 * corpus bench (bench/review-quality.ts) measures exactly this, with or without an LLM.
 */
import type { ParsedDiff } from "../../lib/diff/unified-diff";
import type { PolicyRules } from "../../lib/policy/policy-rules";
import type { StageOutcome } from "../../lib/pipeline/transitions";
import type { ReviewOutput, RulesReport } from "../../lib/review/review-output";
import type { LlmProvider, LlmUsage } from "../llm/provider";
import { evaluateReview } from "./evaluate-review";
import { heuristicReview } from "./heuristic-review";
import { CHUNK_CHARS, combineWithFloor, llmReview, type PullRequestFacts } from "./llm-review";
import type { FileSource } from "./repository-sources";
import { runReviewRules, type ReviewRulesOptions } from "./rules";

export interface ChangeUnderReview {
  diff: ParsedDiff;
  /** The changed files' base and head, or why the review could not read them. */
  sources: Map<string, FileSource> | { unavailable: string } | undefined;
  pullRequest: PullRequestFacts;
}

export interface ChangeReview {
  /** The review as recorded: risk raised to the effective risk, the human flags set by the outcome. */
  review: ReviewOutput;
  rules: RulesReport;
  effectiveRisk: number;
  outcome: StageOutcome;
  /** The model's side, when one was asked. */
  llm: { prompt: string; response: string; usage: LlmUsage; latencyMs: number } | null;
}

export async function reviewChange(
  change: ChangeUnderReview,
  options: { provider: LlmProvider | null; policy: PolicyRules; rules?: ReviewRulesOptions },
): Promise<ChangeReview> {
  const { diff, sources } = change;
  const rules = await runReviewRules(diff, { ...options.rules, sources });
  const floor = heuristicReview(diff, rules, options.policy.review);

  let review = floor;
  let llm: ChangeReview["llm"] = null;
  if (options.provider) {
    const reviewable = diff.files.filter((f) => !f.binary && !rules.unreviewedFiles.some((u) => u.file === f.path));
    const result = await llmReview(options.provider, {
      pullRequest: change.pullRequest,
      files: reviewable,
      sources: sources instanceof Map ? sources : null,
      rules,
    });
    for (const file of result.tooLarge) rules.unreviewedFiles.push({ file, reason: `over ${CHUNK_CHARS} characters of diff for one model call` });
    if (result.reviews.length > 0) review = combineWithFloor(result.reviews, floor);
    llm = { prompt: result.prompt, response: result.response, usage: result.usage, latencyMs: result.latencyMs };
  }

  const { effectiveRisk, outcome } = evaluateReview({ review, rules, policy: options.policy });
  return {
    review: { ...review, risk_score: effectiveRisk, requires_human_review: outcome.kind === "escalate", auto_approvable: outcome.kind === "pass" },
    rules,
    effectiveRisk,
    outcome,
    llm,
  };
}
