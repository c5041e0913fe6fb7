/**
 * Removed safeguards. Many real flaws are introduced by deleting a line: an authorization or
 * authentication check, a validation, an escape or quote call, a CSRF or signature check, an
 * option terminator. This engine reads the deleted lines of each change block and reports a
 * safeguard (rule-sets/removed-guards.json) that no added line of the diff replaces: a guard moved
 * to another file, or renamed in place, still appears among the added lines and is not reported.
 *
 * Matching is on whole tokens (identifiers, dotted and hyphenated names), found by one linear
 * scan per line: no pattern over the diff text can backtrack. It is a heuristic, and says so in
 * its messages: a person decides whether the removal was safe.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DiffFile } from "../../../lib/diff/unified-diff";
import type { RuleCategory, RuleFinding } from "../../../lib/review/review-output";
import { isCommentLine, type FileView } from "../file-view";
import { finding } from "../finding";

interface GuardKind {
  kind: string;
  category: RuleCategory;
  what: string;
  why: string;
  exact: string[];
  prefixes: string[];
  parts: string[];
}

interface GuardRules {
  guards: GuardKind[];
  optionTerminator: { category: RuleCategory; what: string; why: string };
  guardClause: { category: RuleCategory; what: string; why: string; conditions: string[]; exits: string[]; errorWords: string[] };
}

interface CompiledKind extends GuardKind {
  exactSet: Set<string>;
}

const RULES_PATH = join(import.meta.dirname, "..", "rule-sets", "removed-guards.json");

let loaded: { kinds: CompiledKind[]; rules: GuardRules; conditions: Set<string>; exits: Set<string>; errorWords: Set<string> } | null = null;

function guardRules() {
  if (!loaded) {
    const rules = JSON.parse(readFileSync(RULES_PATH, "utf8")) as GuardRules;
    loaded = {
      rules,
      kinds: rules.guards.map((g) => ({ ...g, exactSet: new Set(g.exact) })),
      conditions: new Set(rules.guardClause.conditions),
      exits: new Set(rules.guardClause.exits),
      errorWords: new Set(rules.guardClause.errorWords),
    };
  }
  return loaded;
}

/** Identifiers, with dotted and hyphenated names kept whole and as their parts; lower case. */
const TOKEN = /[A-Za-z0-9_$]+(?:[-.][A-Za-z0-9_$]+)*[?!]?/g;

export function tokensOf(content: string): string[] {
  const tokens: string[] = [];
  for (const m of content.matchAll(TOKEN)) {
    const token = m[0].toLowerCase();
    tokens.push(token);
    if (token.includes(".") || token.includes("-")) tokens.push(...token.split(/[-.]/).filter(Boolean));
  }
  return tokens;
}

function guardToken(kind: CompiledKind, tokens: string[]): string | undefined {
  return tokens.find((t) => kind.exactSet.has(t) || kind.prefixes.some((p) => t.startsWith(p)) || kind.parts.some((p) => t.includes(p)));
}

/** Runs of changed lines between context lines: one edit, whose deletions and additions belong together. */
function changeBlocks(file: DiffFile): { deleted: { line: number; content: string }[] }[] {
  const blocks: { deleted: { line: number; content: string }[] }[] = [];
  for (const hunk of file.hunks) {
    let current: { line: number; content: string }[] = [];
    for (const l of hunk.lines) {
      if (l.kind === "context") {
        if (current.length > 0) blocks.push({ deleted: current });
        current = [];
      } else if (l.kind === "del") current.push({ line: l.oldLine!, content: l.content });
    }
    if (current.length > 0) blocks.push({ deleted: current });
  }
  return blocks;
}

/** What every added line of the diff says: tokens, and lines without their whitespace. */
export interface AddedSide {
  tokens: Set<string>;
  compactLines: Set<string>;
  hasOptionTerminator: boolean;
}

export function addedSideOf(files: DiffFile[]): AddedSide {
  const tokens = new Set<string>();
  const compactLines = new Set<string>();
  let hasOptionTerminator = false;
  for (const file of files) {
    for (const hunk of file.hunks) {
      for (const l of hunk.lines) {
        if (l.kind !== "add") continue;
        for (const t of tokensOf(l.content)) tokens.add(t);
        compactLines.add(compact(l.content));
        if (OPTION_TERMINATOR.test(l.content)) hasOptionTerminator = true;
      }
    }
  }
  return { tokens, compactLines, hasOptionTerminator };
}

const compact = (content: string) => content.replace(/\s+/g, "");
const OPTION_TERMINATOR = /(["'])--\1/;
const COMMAND_WORDS = /\b(?:exec\w*|spawn\w*|system|popen\w*|run|call|check_output|command|Command|ProcessBuilder|args|argv|git|cmd)\b/;

const MAX_LINE = 4096;

export function detectRemovedGuards(view: FileView, added: AddedSide): RuleFinding[] {
  if (view.isTest || view.isDoc || view.deleted.length === 0) return [];
  const { kinds, rules, conditions, exits, errorWords } = guardRules();
  const findings: RuleFinding[] = [];
  const cite = (category: RuleCategory, rule: string, line: number, message: string) => findings.push(finding(category, rule, "high", view.oldPath, line, message));

  for (const block of changeBlocks(view.file)) {
    const lines = block.deleted.filter((l) => l.content.length <= MAX_LINE && !isCommentLine(l.content)).map((l) => ({ ...l, tokens: tokensOf(l.content) }));
    const reported = new Set<string>();
    for (const kind of kinds) {
      for (const l of lines) {
        const token = guardToken(kind, l.tokens.filter((t) => !added.tokens.has(t)));
        if (!token || reported.has(kind.category)) continue;
        reported.add(kind.category);
        cite(kind.category, kind.kind, l.line, `Removes ${kind.what} (${token.slice(0, 40)}) and no added line replaces it: ${kind.why} (heuristic: check the removal was intended.)`);
        break;
      }
    }
    // A deleted condition that rejected input: `if (...) { throw ... }`, `return error unless ...`.
    for (let i = 0; i < lines.length && !reported.has(rules.guardClause.category); i++) {
      const l = lines[i];
      const opensWithCondition = conditions.has(l.tokens[0]) || l.tokens.some((t) => t === "unless" || t === "if");
      if (!opensWithCondition || added.compactLines.has(compact(l.content))) continue;
      const body = lines.slice(i, i + 4);
      const exitsWithError = body.some((b) => b.tokens.some((t) => exits.has(t)) && b.tokens.some((t) => errorWords.has(t) || /(?:error|exception|invalid|forbidden|denied)$/.test(t)));
      if (!exitsWithError) continue;
      reported.add(rules.guardClause.category);
      cite(rules.guardClause.category, "guard-clause", l.line, `Removes ${rules.guardClause.what} and no added line restores it: ${rules.guardClause.why} (heuristic: check the removal was intended.)`);
    }
    if (!added.hasOptionTerminator) {
      const terminator = lines.find((l) => OPTION_TERMINATOR.test(l.content) && COMMAND_WORDS.test(l.content));
      if (terminator) {
        const { category, what, why } = rules.optionTerminator;
        cite(category, "option-terminator", terminator.line, `Removes ${what}: ${why}`);
      }
    }
  }
  return findings;
}
