/**
 * The review a run gets when no LLM is configured: the rules report, put into the review schema,
 * plus one performance check of its own. It says plainly that it came from the heuristic.
 */
import type { DiffFile, ParsedDiff } from "../../lib/diff/unified-diff";
import type { Finding, ReviewOutput, RuleCategory, RuleFinding, RulesReport } from "../../lib/review/review-output";
import { isRoutePath, isSourcePath, isTestPath } from "./file-view";
import { blocksWhenUnreviewed } from "./evaluate-review";
import { explainRiskFloor } from "./risk-floor";
import { RULES_VERSION } from "./rules";

export const HEURISTIC_RATIONALE_PREFIX = "Heuristic review (no LLM configured):";

/** How many findings the rationale cites by file:line before summarizing the rest. */
const CITED_FINDINGS = 5;

export function heuristicReview(diff: ParsedDiff, report: RulesReport, policy: { humanRiskThreshold: number }): ReviewOutput {
  const unreviewed = new Set(report.unreviewedFiles.map((u) => u.file));
  const ownConcerns = detectPerformanceConcerns(diff, unreviewed);
  const performance = [...report.findings.filter((f) => f.category === "large_change").map(toFinding), ...ownConcerns];
  const risk = report.riskFloor;
  const humanReasons = humanReviewReasons(report, risk, policy.humanRiskThreshold);
  const requiresHuman = humanReasons.length > 0;
  return {
    risk_score: risk,
    security_issues: securityIssues(report.findings),
    performance_concerns: performance,
    coverage_gaps: report.findings.filter((f) => f.category === "untested_change").map(toFinding),
    api_breaking_changes: report.findings.filter((f) => f.category === "api_break").map(toFinding),
    auto_approvable: !requiresHuman,
    requires_human_review: requiresHuman,
    review_rationale: rationale(report, ownConcerns, humanReasons, policy.humanRiskThreshold),
  };
}

function toFinding({ file, line, severity, message }: Finding): Finding {
  return { file, line, severity, message };
}

/**
 * Security issues: the injection, secret and auth findings as they are, and schema changes and new
 * integrations with a prefix, so a reader of the security list sees what kind of change it is.
 */
const SECURITY_PREFIX: Partial<Record<RuleCategory, string>> = {
  hardcoded_secret: "",
  sql_injection: "",
  command_injection: "",
  code_injection: "",
  xss: "",
  path_traversal: "",
  ssrf: "",
  deserialization: "",
  tls_disabled: "",
  cors_open: "",
  csrf_disabled: "",
  auth_weakened: "",
  removed_safeguard: "Removed safeguard: ",
  auth_change: "",
  schema_change: "Schema change: ",
  new_integration: "New service integration: ",
};

function securityIssues(findings: RuleFinding[]): Finding[] {
  return findings
    .filter((f) => SECURITY_PREFIX[f.category] !== undefined)
    .map((f) => ({ ...toFinding(f), message: `${SECURITY_PREFIX[f.category]}${f.message}` }));
}

/** Why a human must look, in the order the rationale gives them; empty when auto-approvable. */
function humanReviewReasons(report: RulesReport, risk: number, threshold: number): string[] {
  const reasons: string[] = [];
  if (risk >= threshold) reasons.push(`risk ${risk} is at or above the threshold ${threshold}`);
  if (report.apiBreak) reasons.push("it breaks an API");
  if (report.schemaChange) reasons.push("it changes the schema");
  if (report.newIntegration) reasons.push("it adds a service integration");
  const unreadSource = report.unreviewedFiles.filter(blocksWhenUnreviewed);
  const unread = new Set(unreadSource.map((u) => u.file)).size;
  if (unread > 0) reasons.push(`${unread} file(s) could not be fully reviewed`);
  return reasons;
}

// ---------------------------------------------------------------------------------------------
// Performance: database or HTTP calls inside loops, blocking reads in request handlers
// ---------------------------------------------------------------------------------------------

const LOOP = /\b(?:for|while)\s*\(|\bfor\s+await\b|^\s*for\s+.+\s+in\s+.+:\s*$|\.(?:forEach|map|flatMap)\s*\(/;
const QUERY = /\bawait\s+(?:db|prisma|tx|client|this\.db)\.|\.(?:query|findMany|findUnique|findFirst|execute)\s*\(|\bfetch\s*\(|\.objects\.(?:get|filter)\s*\(/;
/** How far below a loop header a call still counts as inside the loop. */
const LOOP_WINDOW = 5;

interface NewSideLine {
  kind: "add" | "context";
  line: number;
  content: string;
}

function newSideHunks(file: DiffFile): NewSideLine[][] {
  return file.hunks.map((h) =>
    h.lines.filter((l) => l.kind !== "del").map((l) => ({ kind: l.kind as "add" | "context", line: l.newLine!, content: l.content })),
  );
}

function detectPerformanceConcerns(diff: ParsedDiff, unreviewed: Set<string>): Finding[] {
  const findings: Finding[] = [];
  for (const file of diff.files) {
    if (unreviewed.has(file.path) || file.status === "deleted" || !isSourcePath(file.path) || isTestPath(file.path)) continue;
    for (const hunk of newSideHunks(file)) {
      findings.push(...queriesInLoops(file.path, hunk), ...blockingReadsInHandlers(file.path, hunk));
    }
  }
  return findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0)));
}

/**
 * A query or fetch on an added line within a few lines below a loop header: one round trip per
 * item (the N+1 pattern). The loop may be old code; the call must be new.
 */
function queriesInLoops(path: string, lines: NewSideLine[]): Finding[] {
  const findings: Finding[] = [];
  const reported = new Set<number>();
  lines.forEach((header, index) => {
    const loop = LOOP.exec(header.content);
    if (!loop) return;
    for (let j = index; j < lines.length && j <= index + LOOP_WINDOW; j++) {
      const candidate = lines[j];
      // On the header line itself only the text after the loop keyword is inside the loop.
      const text = j === index ? candidate.content.slice(loop.index + loop[0].length) : candidate.content;
      if (candidate.kind !== "add" || reported.has(candidate.line) || !QUERY.test(text)) continue;
      reported.add(candidate.line);
      findings.push({
        file: path,
        line: candidate.line,
        severity: "medium",
        message: `Database or HTTP call inside a loop (loop at line ${header.line}): one round trip per item; batch it or query once.`,
      });
    }
  });
  return findings;
}

/** readFileSync in a request handler blocks every other request while the disk answers. */
function blockingReadsInHandlers(path: string, lines: NewSideLine[]): Finding[] {
  if (!isRoutePath(path) && !/(?:handler|controller)/i.test(path)) return [];
  return lines
    .filter((l) => l.kind === "add" && /\breadFileSync\s*\(/.test(l.content))
    .map((l) => ({ file: path, line: l.line, severity: "medium" as const, message: "Synchronous file read in a request handler blocks the event loop; read it once at startup or use fs.promises." }));
}

// ---------------------------------------------------------------------------------------------
// Rationale
// ---------------------------------------------------------------------------------------------

const SEVERITY_ORDER: Record<Finding["severity"], number> = { critical: 0, high: 1, medium: 2, low: 3 };

function cite(f: Finding): string {
  return f.line === null ? f.file : `${f.file}:${f.line}`;
}

function rationale(report: RulesReport, ownConcerns: Finding[], humanReasons: string[], threshold: number): string {
  const sentences = [`${HEURISTIC_RATIONALE_PREFIX} this review comes from the deterministic rules (${RULES_VERSION}), not from a language model.`];
  sentences.push(findingsSummary([...report.findings, ...ownConcerns]));
  if (report.unreviewedFiles.length > 0) {
    sentences.push(`Not reviewed: ${report.unreviewedFiles.map((u) => `${u.file} (${u.reason})`).join("; ")}.`);
  }
  const { reasons } = explainRiskFloor(report.findings);
  sentences.push(
    reasons.length > 0
      ? `Risk ${report.riskFloor}/10 is the rules floor: ${reasons.join("; ")}.`
      : `Risk ${report.riskFloor}/10 is the rules floor: no rule fired.`,
  );
  sentences.push(
    humanReasons.length > 0
      ? `A human must review it because ${humanReasons.join(", ")}.`
      : `Auto-approvable: risk is below the threshold ${threshold} and there is no API break, schema change, new integration or unreviewed source file.`,
  );
  return sentences.join(" ");
}

function findingsSummary(all: Finding[]): string {
  if (all.length === 0) return "The rules found nothing.";
  const worstFirst = [...all].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  const cited = worstFirst.slice(0, CITED_FINDINGS).map((f) => `${f.severity} at ${cite(f)}: ${f.message.replace(/\.$/, "")}`);
  const rest = all.length - cited.length;
  return `Main findings (${all.length}): ${cited.join(" | ")}${rest > 0 ? ` | and ${rest} more` : ""}.`;
}
