/**
 * The labelled review corpus (test/fixtures/review-corpus/): real patches from public history,
 * each with its label, category, language and provenance, and a gate verdict for each case.
 *
 * The split is fixed by the case id alone (a hash), so nobody chooses which cases the rules are
 * written against: "authoring" cases may be read while writing rules, "held-out" ones may not,
 * and the figures of both halves are reported side by side.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LlmProvider, LlmUsage } from "../../agents/llm/provider";
import { reviewChange } from "../../agents/review/review-change";
import type { ReviewRulesOptions } from "../../agents/review/rules";
import { parseUnifiedDiff, type ParsedDiff } from "../../lib/diff/unified-diff";
import type { FileSource } from "../../agents/review/repository-sources";
import { applyFileDiff } from "./apply-diff";
import { defaultPolicyRules, type PolicyRules } from "../../lib/policy/policy-rules";
import { ruleIdOf, type RuleCategory, type RulesReport } from "../../lib/review/review-output";

export const CORPUS_DIR = join(import.meta.dirname, "..", "fixtures", "review-corpus", "cases");
/** The base version of each file a case's diff touches, where it could be had (`<id>/<old path>`). */
export const SOURCES_DIR = join(import.meta.dirname, "..", "fixtures", "review-corpus", "sources");

export interface CorpusCase {
  id: string;
  language: string;
  label: "escalate" | "pass";
  category: string;
  source: { repo: string | null; sha: string | null; debian: string };
  derivation: string;
  summary: string;
  /** Whether the base files were recovered from the Debian source package (and why not). */
  sources?: { status: "complete"; files: number } | { status: "unavailable"; reason: string };
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
 * The case's diff as the review sees it with the repository: the changed files' base and head
 * contents (the base from the corpus, the head by applying the case's diff to it), and the diff
 * renumbered to where its hunks apply (a package's patch may apply at an offset; a diff of the two
 * versions would not). Null for a case without its files.
 */
export function withSourcesOf(corpusCase: CorpusCase): { diff: ParsedDiff; sources: Map<string, FileSource> } | null {
  if (corpusCase.sources?.status !== "complete") return null;
  const parsed = parseUnifiedDiff(corpusCase.diff);
  const sources = new Map<string, FileSource>();
  const files = parsed.files.map((file) => {
    if (file.binary) return file;
    const basePath = file.oldPath && join(SOURCES_DIR, corpusCase.id, file.oldPath);
    const base = basePath && existsSync(basePath) ? readFileSync(basePath, "utf8") : null;
    if (file.oldPath && base === null) throw new Error(`${corpusCase.id}: sources say complete, but ${file.oldPath} is missing`);
    const applied = applyFileDiff(base, file);
    sources.set(file.path, { base, head: file.newPath ? applied.head : null });
    return applied.file;
  });
  return { diff: { ...parsed, files }, sources };
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
  /** The LLM's tokens, when one reviewed the case. */
  usage: LlmUsage | null;
}

/** How a case is reviewed: the rules' options, with its whole files or not, with a model or not, under which policy. */
export interface ReviewHow {
  rules?: ReviewRulesOptions;
  withSources?: boolean;
  provider?: LlmProvider | null;
  /** The default policy unless given. */
  policy?: PolicyRules;
}

/**
 * The gate's decision on one case, made by the review agent's own composition (reviewChange): the
 * rules, the heuristic floor, the LLM above it when `provider` is given, and the policy (the
 * default one unless given). With `withSources`, the review reads the case's whole files where the
 * corpus has them, as it does for a registered or code-host repository; otherwise the diff alone.
 */
export async function judgeCase(corpusCase: CorpusCase, how: ReviewHow = {}): Promise<CaseVerdict> {
  const whole = how.withSources ? withSourcesOf(corpusCase) : null;
  const diff = whole?.diff ?? parseUnifiedDiff(corpusCase.diff);
  // What a pull request would say of itself, and nothing of the case's label or provenance.
  const pullRequest = { repository: corpusCase.source.repo ?? corpusCase.source.debian.split(" ")[0], number: 1, title: `Change to ${diff.files.map((f) => f.path).join(", ").slice(0, 120)}`, author: "contributor" };
  const { rules: report, outcome, llm } = await reviewChange({ diff, sources: whole?.sources, pullRequest }, { provider: how.provider ?? null, policy: how.policy ?? defaultPolicyRules, rules: how.rules });
  const expected = EXPECTED_CATEGORIES[corpusCase.category] ?? [];
  return {
    escalated: outcome.kind === "escalate",
    rightReason: report.findings.some((f) => expected.includes(f.category)),
    reasons: outcome.kind === "escalate" ? outcome.reasons.map((r) => r.code) : [],
    rules: [...new Set(report.findings.map((f) => `${f.category}:${ruleIdOf(f)}`))],
    report,
    usage: llm?.usage ?? null,
  };
}
