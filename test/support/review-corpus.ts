/**
 * The labelled review corpus (test/fixtures/review-corpus/): real patches from public history,
 * each with its label, category, language and provenance, and a gate verdict for each case.
 *
 * The split is fixed by the case id alone (a hash), so nobody chooses which cases the rules are
 * written against: "authoring" cases may be read while writing rules, "held-out" ones may not,
 * and the figures of both halves are reported side by side.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { heuristicReview } from "../../agents/review/heuristic-review";
import { runReviewRules, type ReviewRulesOptions } from "../../agents/review/rules";
import { parseUnifiedDiff } from "../../lib/diff/unified-diff";
import { evaluateReview } from "../../agents/review/evaluate-review";
import { defaultPolicyRules } from "../../lib/policy/policy-rules";
import { ruleIdOf, type RuleCategory, type RulesReport } from "../../lib/review/review-output";

export const CORPUS_DIR = join(import.meta.dirname, "..", "fixtures", "review-corpus", "cases");

export interface CorpusCase {
  id: string;
  language: string;
  label: "escalate" | "pass";
  category: string;
  source: { repo: string; sha: string | null; debian: string };
  derivation: string;
  summary: string;
  diff: string;
  split: "authoring" | "held-out";
}

/** Half of the ids, by the first byte of their SHA-256: even bytes are the authoring half. */
export function splitOf(id: string): CorpusCase["split"] {
  return createHash("sha256").update(id).digest()[0] % 2 === 0 ? "authoring" : "held-out";
}

export function loadCorpus(): CorpusCase[] {
  return readdirSync(CORPUS_DIR)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => {
      const meta = JSON.parse(readFileSync(join(CORPUS_DIR, name), "utf8")) as Omit<CorpusCase, "diff" | "split">;
      return { ...meta, diff: readFileSync(join(CORPUS_DIR, name.replace(/\.json$/, ".diff")), "utf8"), split: splitOf(meta.id) };
    });
}

/**
 * The finding categories that count as catching a labelled category for the right reason. An
 * escalation for another reason still holds the gate (a person looks), and is reported apart.
 */
export const EXPECTED_CATEGORIES: Record<string, RuleCategory[]> = {
  sql_injection: ["sql_injection"],
  command_injection: ["command_injection", "code_injection"],
  code_injection: ["code_injection", "command_injection"],
  path_traversal: ["path_traversal", "removed_safeguard"],
  ssrf: ["ssrf", "removed_safeguard"],
  deserialization: ["deserialization"],
  tls_disabled: ["tls_disabled"],
  cors_open: ["cors_open"],
  csrf_removed: ["csrf_disabled", "removed_safeguard"],
  auth_weakened: ["auth_weakened", "removed_safeguard", "auth_change"],
  removed_safeguard: ["removed_safeguard", "xss"],
  hardcoded_secret: ["hardcoded_secret"],
  api_break: ["api_break"],
  new_integration: ["new_integration"],
};

export interface CaseVerdict {
  escalated: boolean;
  /** Whether a finding of an expected category was among the escalating findings. */
  rightReason: boolean;
  reasons: string[];
  /** engine:rule of each finding, for naming misses and false escalations. */
  rules: string[];
  report: RulesReport;
}

/** The gate's decision on one case: the rules, the heuristic review and the default policy. */
export async function judgeCase(corpusCase: CorpusCase, options: ReviewRulesOptions = {}): Promise<CaseVerdict> {
  const diff = parseUnifiedDiff(corpusCase.diff);
  const report = await runReviewRules(diff, options);
  const review = heuristicReview(diff, report, defaultPolicyRules.review);
  const { outcome } = evaluateReview({ review, rules: report, policy: defaultPolicyRules });
  const expected = EXPECTED_CATEGORIES[corpusCase.category] ?? [];
  return {
    escalated: outcome.kind === "escalate",
    rightReason: report.findings.some((f) => expected.includes(f.category)),
    reasons: outcome.kind === "escalate" ? outcome.reasons.map((r) => r.code) : [],
    rules: [...new Set(report.findings.map((f) => `${f.category}:${ruleIdOf(f)}`))],
    report,
  };
}
