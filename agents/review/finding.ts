/** Building, ordering and de-duplicating findings. */
import type { Finding, RuleCategory, RuleFinding } from "../../lib/review/review-output";

export type Severity = Finding["severity"];

export function finding(category: RuleCategory, rule: string, severity: Severity, file: string, line: number | null, message: string): RuleFinding {
  return { category, rule, severity, file, line, message };
}

/** Plain code-unit comparison: localeCompare would make the order depend on the host's locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortFindings(findings: RuleFinding[]): RuleFinding[] {
  return [...findings].sort(
    (a, b) =>
      compareText(a.file, b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      compareText(a.rule, b.rule) ||
      compareText(a.message, b.message),
  );
}

/**
 * Drops repeats: the same rule and message twice, and a finding on a file, line and category that
 * an earlier engine already reported (engines overlap: gitleaks and the line rules both know AWS
 * keys). The first engine's finding is kept, in the order of REVIEW_ENGINES.
 */
export function dedupe(findings: RuleFinding[]): RuleFinding[] {
  const seen = new Set<string>();
  const engineAt = new Map<string, string | undefined>();
  return findings.filter((f) => {
    const key = `${f.file}\u0000${f.line}\u0000${f.rule}\u0000${f.message}`;
    const place = `${f.file}\u0000${f.line}\u0000${f.category}`;
    if (seen.has(key)) return false;
    if (f.line !== null && engineAt.has(place) && engineAt.get(place) !== f.engine) return false;
    seen.add(key);
    if (!engineAt.has(place)) engineAt.set(place, f.engine);
    return true;
  });
}
