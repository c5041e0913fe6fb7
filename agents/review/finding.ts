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

export function dedupe(findings: RuleFinding[]): RuleFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.file}\u0000${f.line}\u0000${f.rule}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

