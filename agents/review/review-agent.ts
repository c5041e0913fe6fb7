import { createHash } from "node:crypto";
import { parseUnifiedDiff, type ParsedDiff } from "../../lib/diff/unified-diff";
import { gitDirOf } from "../../lib/repositories/git-dir";
import type { ReviewOutput, RulesReport } from "../../lib/review/review-output";
import { cleanUntrustedText } from "../../lib/text/untrusted-text";
import type { StageAgent, StageAgentResult, StageAssessment, StageContext } from "../engine/stage-agent";
import type { LlmProvider } from "../llm/provider";
import { PROMPT_VERSION } from "./llm-review";
import { readRepositorySources, type FileSource } from "./repository-sources";
import { reviewChange } from "./review-change";
import { RULES_VERSION } from "./rules";

export const REVIEW_AGENT_VERSION = "review-1";

/**
 * The changed files in full, for the whole-file engines, when the review can read the repository
 * (local repositories, and code-host repositories through their cache); otherwise why not, which
 * the review lists as not checked.
 */
async function sourcesFor(context: StageContext, diff: ParsedDiff): Promise<Map<string, FileSource> | { unavailable: string }> {
  const { repository } = context.run.pullRequest;
  const gitDir = gitDirOf(repository);
  if (!gitDir) return { unavailable: `the review reads only the diff of a ${repository.kind} repository` };
  try {
    return await readRepositorySources(gitDir, context.run.baseSha, context.run.headSha, diff.files);
  } catch (error) {
    return { unavailable: `the repository could not be read (${cleanUntrustedText(error instanceof Error ? error.message : String(error)).slice(0, 200)})` };
  }
}

/** What the review adds to the run: its risk score, its critical findings and what it did not read. */
function assessReview(review: ReviewOutput, rules: RulesReport, provider: LlmProvider | null): StageAssessment {
  const findings = [...review.security_issues, ...review.api_breaking_changes, ...review.performance_concerns];
  return {
    runRiskScore: review.risk_score,
    criticalFindings: findings.filter((f) => f.severity === "critical").length,
    notes: [...findings, ...review.coverage_gaps].flatMap((f) => (f.line == null ? [] : [{ file: f.file, line: f.line, severity: f.severity, message: f.message }])),
    notChecked: [
      ...rules.unreviewedFiles.map((f) => `${f.file}: not reviewed (${f.reason})`),
      ...(rules.notChecked ?? []),
      ...(provider ? [] : ["No LLM is configured: the review is the rule-based heuristic only."]),
    ],
  };
}

/**
 * The review agent: the deterministic rules always run; then the LLM reviews the diff in chunks
 * by file when one is configured, otherwise the rule-based heuristic stands in (and says so).
 * The policy, not the model, decides what happens next.
 */
export function createReviewAgent(provider: LlmProvider | null): StageAgent {
  return {
    stage: "review",
    async run(context): Promise<StageAgentResult> {
      // The review reads the changed lines themselves, so it parses the text (intake stored only facts).
      const diffText = await context.run.diffText();
      const diff = parseUnifiedDiff(diffText);
      const pr = context.run.pullRequest;
      const { review: final, rules, effectiveRisk, outcome, llm } = await reviewChange(
        { diff, sources: await sourcesFor(context, diff), pullRequest: { repository: pr.repository.name, number: pr.number, title: pr.title, author: pr.author } },
        { provider, policy: context.policy },
      );
      // What decided: the versions, the model, the policy's review rules, the change and the commits
      // the whole files were read at.
      const inputHash = createHash("sha256")
        .update([REVIEW_AGENT_VERSION, RULES_VERSION, PROMPT_VERSION, provider?.model ?? "heuristic", JSON.stringify(context.policy.review), context.run.baseSha, context.run.headSha, diffText].join("\n"))
        .digest("hex");
      return {
        outcome,
        stageOutput: { review: final, rules, files: diff.files.length, additions: diff.additions, deletions: diff.deletions },
        assessment: assessReview(final, rules, provider),
        decision: {
          agent: "review",
          agentVersion: REVIEW_AGENT_VERSION,
          provider: provider ? provider.name : "heuristic",
          model: provider?.model ?? null,
          inputHash,
          riskScore: effectiveRisk,
          output: { review: final, rules },
          rationale: final.review_rationale,
          requiresHuman: outcome.kind === "escalate",
          prompt: llm?.prompt ?? null,
          response: llm?.response ?? null,
          inputTokens: llm?.usage.inputTokens ?? null,
          outputTokens: llm?.usage.outputTokens ?? null,
          latencyMs: llm?.latencyMs ?? null,
        },
      };
    },
  };
}
