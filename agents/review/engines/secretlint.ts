/**
 * secretlint's recommended rules (@secretlint/secretlint-rule-preset-recommend 11.7.1, MIT) as a
 * second opinion beside gitleaks: it also knows database connection strings and basic-auth URLs.
 * 11.7 is the last line that supports Node 20 (12 and later declare Node 22).
 *
 * Two settings differ from secretlint's defaults, both on purpose:
 *   - the AWS access-key-ID rule is on (secretlint leaves it off): an ID next to a secret is half
 *     of a credential pair, and on its own it names the account;
 *   - the comment filter is off: it honours "secretlint-disable" comments, and a pull request must
 *     not be able to switch the scanner off with a comment in its own diff.
 * Very long lines are read in overlapping pieces (see piecesOf), so no rule sees more than a few
 * kilobytes at once. Messages are masked: no secret reaches a finding.
 */
import { lintSource } from "@secretlint/core";
import { creator as recommended } from "@secretlint/secretlint-rule-preset-recommend";
import type { RuleFinding } from "../../../lib/review/review-output";
import type { FileView, NumberedLine } from "../file-view";
import { finding } from "../finding";
import { linesOf } from "./added-text";

const RULE_PREFIX = "@secretlint/secretlint-rule-";
const FILTER_COMMENTS = `${RULE_PREFIX}filter-comments`;
const AWS = `${RULE_PREFIX}aws`;

/**
 * The preset's rules registered one by one, without the comment filter: secretlint 11.7 does not
 * honour `disabled` for a rule inside a preset (RulePresetContext passes it on, RunningEvents
 * registers the rule anyway), so leaving the rule out is the only way to switch it off.
 */
const config = {
  rules: recommended.rules
    .filter((rule) => rule.meta.id !== FILTER_COMMENTS)
    .map((rule) => ({ id: rule.meta.id, rule, options: rule.meta.id === AWS ? { enableIDScanRule: true } : undefined })),
};

const PIECE = 4096;
const OVERLAP = 512;

/** Lines longer than PIECE become overlapping pieces that keep the line's number. */
function piecesOf(lines: NumberedLine[]): NumberedLine[] {
  return lines.flatMap((l) => {
    if (l.content.length <= PIECE) return [l];
    const pieces: NumberedLine[] = [];
    for (let at = 0; at < l.content.length; at += PIECE - OVERLAP) pieces.push({ line: l.line, content: l.content.slice(at, at + PIECE) });
    return pieces;
  });
}

export async function detectWithSecretlint(view: FileView): Promise<RuleFinding[]> {
  if (view.added.length === 0) return [];
  const text = linesOf(piecesOf(view.added));
  const result = await lintSource({
    source: { filePath: `/${view.path}`, content: text.text, contentType: "text" },
    options: { maskSecrets: true, noPhysicFilePath: true, config },
  });
  const findings: RuleFinding[] = [];
  const reported = new Set<string>();
  for (const message of result.messages) {
    // Only errors: secretlint reports its own informational notes as "info".
    if (message.severity !== "error") continue;
    const line = text.lineAt(message.range[0]).line;
    const rule = `${message.ruleId.replace(RULE_PREFIX, "")}/${message.messageId}`;
    if (reported.has(`${rule}\u0000${line}`)) continue;
    reported.add(`${rule}\u0000${line}`);
    // secretlint's message ends with the masked value ("found X: ****"); keep what it found.
    const what = message.message.replace(/:\s*\**\s*$/, "").replace(/^found\s+/i, "");
    findings.push(finding("hardcoded_secret", rule, "critical", view.path, line, `Hard-coded ${what}; move it to a secret store and rotate it.`));
  }
  return findings;
}
