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
import { withoutStringContents } from "../line-text";
import { normalisedChangeBlocks } from "./logic-edits";

interface GuardKind {
  kind: string;
  category: RuleCategory;
  what: string;
  why: string;
  exact: string[];
  prefixes: string[];
  parts: string[];
  /** When present, the line must also hold one of these tokens (a verb that makes it a guard). */
  withAny?: string[];
  /** Match inside string literals too: header names are strings. */
  matchStrings?: boolean;
}

interface GuardRules {
  guards: GuardKind[];
  optionTerminator: { category: RuleCategory; what: string; why: string };
  denyListEntry: { category: RuleCategory; what: string; why: string; listWords: string[] };
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

function tokensOf(content: string): string[] {
  const tokens: string[] = [];
  for (const m of content.matchAll(TOKEN)) {
    const token = m[0].toLowerCase();
    tokens.push(token);
    if (token.includes(".") || token.includes("-")) tokens.push(...token.split(/[-.]/).filter(Boolean));
  }
  return tokens;
}

function guardToken(kind: CompiledKind, tokens: string[], allTokens: string[]): string | undefined {
  if (kind.withAny && !allTokens.some((t) => kind.withAny!.includes(t))) return undefined;
  return tokens.find((t) => kind.exactSet.has(t) || kind.prefixes.some((p) => t.startsWith(p)) || kind.parts.some((p) => t.includes(p)));
}

interface ChangeBlock {
  deleted: { line: number; content: string }[];
  added: { line: number; content: string }[];
}

/**
 * Runs of changed lines between context lines: one edit, whose deletions and additions belong
 * together. Lines that only changed whitespace are paired off first (logic-edits.ts), so a
 * re-indented block around a deleted check reads as the deletion it is.
 */
function changeBlocks(file: DiffFile): ChangeBlock[] {
  return normalisedChangeBlocks(file).filter((b) => b.deleted.length > 0);
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

/**
 * The code of a line without string contents and trailing comments: "Invalid URL" in an error
 * message, or a comment that mentions validation, is not a guard.
 */
function codeOf(content: string): string {
  const code = withoutStringContents(content);
  const comment = /\/\/|#\s|--\s|\/\*/.exec(code);
  return comment ? code.slice(0, comment.index) : code;
}

/** Whether two lines share most of their tokens (at least half of the union). */
function similar(tokens: string[], other: Set<string>): boolean {
  const mine = new Set(tokens);
  let shared = 0;
  for (const t of mine) if (other.has(t)) shared++;
  return shared * 2 >= new Set([...mine, ...other]).size;
}
const OPTION_TERMINATOR = /(["'])--\1/;
const COMMAND_WORDS = /\b(?:exec\w*|spawn\w*|system|popen\w*|run|call|check_output|command|Command|ProcessBuilder|args|argv|git|cmd)\b/;

const MAX_LINE = 4096;

export function detectRemovedGuards(view: FileView, added: AddedSide): RuleFinding[] {
  if (view.isTest || view.isDoc || view.deleted.length === 0) return [];
  const { kinds, rules, conditions, exits, errorWords } = guardRules();
  const findings: RuleFinding[] = [];
  const cite = (category: RuleCategory, rule: string, line: number, message: string) => findings.push(finding(category, rule, "high", view.oldPath, line, message));

  for (const block of changeBlocks(view.file)) {
    const lines = block.deleted.filter((l) => l.content.length <= MAX_LINE && !isCommentLine(l.content)).map((l) => ({ ...l, tokens: tokensOf(codeOf(l.content)), withStrings: tokensOf(l.content) }));
    const addedInBlock = block.added.map((l) => new Set(tokensOf(codeOf(l.content))));
    const reported = new Set<string>();
    for (const kind of kinds) {
      for (const l of lines) {
        const tokens = kind.matchStrings ? l.withStrings : l.tokens;
        const token = guardToken(kind, tokens.filter((t) => !added.tokens.has(t)), tokens);
        if (!token || reported.has(kind.category)) continue;
        reported.add(kind.category);
        cite(kind.category, kind.kind, l.line, `Removes ${kind.what} (${token.slice(0, 40)}) and no added line replaces it: ${kind.why} (heuristic: check the removal was intended.)`);
        break;
      }
    }
    // A deleted condition that rejected input or stopped early: `if (...) { throw ... }`,
    // `return error unless ...`. An early exit counts without an error word when the edit only
    // deletes: nothing took the condition's place.
    const pureDeletion = block.added.every((l) => l.content.trim() === "");
    for (let i = 0; i < lines.length && !reported.has(rules.guardClause.category); i++) {
      const l = lines[i];
      const opensWithCondition = conditions.has(l.tokens[0]) || l.tokens.some((t) => t === "unless" || t === "if");
      // Rewritten rather than removed: the same condition written another way in this edit.
      if (!opensWithCondition || added.compactLines.has(compact(l.content)) || addedInBlock.some((a) => similar(l.tokens, a))) continue;
      const body = lines.slice(i, i + 4);
      const exitsWithError = body.some((b) => b.tokens.some((t) => exits.has(t)) && (pureDeletion || b.tokens.some((t) => errorWords.has(t) || /(?:error|exception|invalid|forbidden|denied)$/.test(t))));
      if (!exitsWithError) continue;
      reported.add(rules.guardClause.category);
      cite(rules.guardClause.category, "guard-clause", l.line, `Removes ${rules.guardClause.what} and no added line restores it: ${rules.guardClause.why} (heuristic: check the removal was intended.)`);
    }
    const cast = lines.find((l) => SELF_CAST.test(l.content.trim()) && !added.compactLines.has(compact(l.content)));
    if (cast && !reported.has("removed_safeguard")) {
      reported.add("removed_safeguard");
      cite("removed_safeguard", "numeric-cast", cast.line, "Removes the cast of a value to a number before it is used: whatever text it held now goes through as written. (heuristic)");
    }
    for (const weakened of weakenedConditions(block)) {
      if (reported.has(weakened.category)) continue;
      reported.add(weakened.category);
      cite(weakened.category, weakened.rule, weakened.line, weakened.message);
    }
    if (!added.hasOptionTerminator) {
      const terminator = lines.find((l) => OPTION_TERMINATOR.test(l.content) && COMMAND_WORDS.test(l.content));
      if (terminator) {
        const { category, what, why } = rules.optionTerminator;
        cite(category, "option-terminator", terminator.line, `Removes ${what}: ${why}`);
      }
    }
  }
  for (const removed of denyListRemovals(view.file, added)) {
    const { category, what, why } = rules.denyListEntry;
    // The entry is quoted only when it reads as a name: messages reach the LLM's prompt outside the
    // diff's untrusted block, so free text from the diff must not.
    const shown = /^["':]?[\w.:/@-]{1,60}["']?$/.test(removed.entry) ? removed.entry : "an entry";
    cite(category, "deny-list-entry", removed.line, `Removes ${shown} from ${what}: ${why} (heuristic)`);
  }
  return findings;
}

/**
 * A value cast to a number in place (`$line = (int) $line;`, `id = int(id)`, `n = Number(n)`,
 * `x = x.to_i`): input sanitised by its type. Anchored at the line start, one variable name.
 */
const SELF_CAST = /^(?:(?:my|var|let|const)\s+)?(\$?\w{1,64})\s*=\s*(?:\((?:int|integer|float|double)\)\s*\1|(?:int|float|intval|floatval|Number|parseInt|parseFloat|Integer\.parseInt|Integer\.valueOf|Long\.parseLong|strconv\.Atoi)\s*\(\s*\1\s*[,)]|\1\.to_i\b)/;

/** Names that make a comparison an authentication decision. */
const SECRET_WORDS = /pass(?:word|wd)?|hash|token|secret|digest|signature|hmac|nonce|auth|otp|key/i;

/**
 * Conditions an edit made weaker: a strict comparison made loose (=== to ==, which lets "0e123"
 * equal "0" in PHP and "1" equal 1 in JavaScript), and a condition of which the edit kept only a
 * part (`if err != nil || v > max` became `if err != nil`): the dropped part no longer rejects.
 */
function weakenedConditions(block: ChangeBlock): { category: RuleCategory; rule: string; line: number; message: string }[] {
  const found: { category: RuleCategory; rule: string; line: number; message: string }[] = [];
  const addedCompact = block.added.map((l) => compact(l.content));
  for (const d of block.deleted) {
    if (d.content.length > MAX_LINE || isCommentLine(d.content)) continue;
    const before = compact(d.content);
    if (/[!=]==/.test(before)) {
      const loose = before.replace(/([!=])==/g, "$1=");
      if (addedCompact.includes(loose)) {
        const auth = SECRET_WORDS.test(before);
        found.push({
          category: auth ? "auth_weakened" : "removed_safeguard",
          rule: "loose-comparison",
          line: d.line,
          message: `Makes a strict comparison loose (=== to ==)${auth ? " in a credential check" : ""}: values of other types now compare equal. (heuristic)`,
        });
        continue;
      }
    }
    const condition = /^(?:\}?\s*(?:else\s*)?(?:if|elif|elsif|elseif|unless|while)\b)\s*\(?(.*?)\)?\s*(?:\{|:|then)?$/.exec(d.content.trim());
    if (!condition || !/\|\||&&|\band\b|\bor\b/.test(condition[1])) continue;
    const kept = addedCompact.find((a) => a.length < before.length && a.length > 0 && sameOpening(a, before) && isWeakerPart(a, before));
    if (kept) {
      found.push({
        category: "removed_safeguard",
        rule: "narrowed-condition",
        line: d.line,
        message: "Drops part of a condition (an || or && clause): what that part checked is no longer checked. (heuristic)",
      });
    }
  }
  return found;
}

const sameOpening = (a: string, b: string) => /^[}\w]*(?:if|elif|elsif|elseif|unless|while)/.exec(a)?.[0] === /^[}\w]*(?:if|elif|elsif|elseif|unless|while)/.exec(b)?.[0];

/** Whether `kept` is `full` with one or more `||`/`&&` clauses taken out, and nothing else changed. */
function isWeakerPart(kept: string, full: string): boolean {
  const clauses = (text: string) => text.split(/\|\||&&|(?<=\W)(?:and|or)(?=\W)/);
  const fullClauses = new Set(clauses(full).map((c) => c.replace(/[(){}:]/g, "")));
  const keptClauses = clauses(kept).map((c) => c.replace(/[(){}:]/g, ""));
  return keptClauses.length < fullClauses.size && keptClauses.every((c) => fullClauses.has(c));
}

/** A line that is one entry of a list: a string or symbol literal and an optional comma. */
const LIST_ENTRY = /^\s*(?:"[^"\\]{1,200}"|'[^'\\]{1,200}'|:[A-Za-z_]\w{0,100})\s*,?\s*$/;
/** A line that opens a list literal or a call taking one. */
const OPENS_LIST = /[[({]\s*$|\b(?:array|%[wi])\s*[([]?\s*$/;

/**
 * Entries taken out of a deny-list: a string removed from a list whose name (or the function the
 * hunk sits in) says forbidden, blocked, reserved..., and not added back anywhere in the diff.
 * The list's name is in one of the nearest lines above that open a list or a block (the list, the
 * function it is in), or in the hunk header's function name.
 */
function denyListRemovals(file: DiffFile, added: AddedSide): { line: number; entry: string }[] {
  const { denyListEntry } = guardRules().rules;
  const words = new RegExp(denyListEntry.listWords.join("|"), "i");
  const removals: { line: number; entry: string }[] = [];
  for (const hunk of file.hunks) {
    // The last few lines that opened a list, a call or a block: the list and the function it is in.
    let openers: string[] = [];
    for (const l of hunk.lines) {
      if (l.kind !== "add" && l.content.length <= MAX_LINE && OPENS_LIST.test(l.content)) openers = [...openers.slice(-2), l.content];
      if (l.kind !== "del" || !LIST_ENTRY.test(l.content)) continue;
      const entry = l.content.trim().replace(/,$/, "");
      if (added.compactLines.has(compact(l.content)) || added.compactLines.has(compact(`${entry},`)) || added.compactLines.has(compact(entry))) continue;
      if (openers.some((o) => words.test(o)) || words.test(hunk.header)) removals.push({ line: l.oldLine!, entry });
    }
  }
  return removals;
}
