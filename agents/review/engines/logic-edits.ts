/**
 * Logic edits: flaws introduced by changing code in place rather than by adding a sink or deleting
 * a whole check. The removed-guard engine sees a safeguard that is gone; this engine sees one that
 * is still there but does less:
 *
 * - an escape pair removed: a metacharacter and its escaped form (`'</' => '<\/'`,
 *   `str_replace("'", '\x27', ...)`, `.replace("<", "&lt;")`) taken out of an escape table or a
 *   replace call, with the same pair nowhere among the diff's added lines;
 * - a test for a dangerous value removed: a condition on `../`, a CR/LF/NUL, `__proto__`, a
 *   `javascript:` scheme or markup deleted, with no added line of the file testing it;
 * - a rejecting condition changed in place: `if (x.cmp(q) >= 0) throw` became `>= q`, or an
 *   inclusive bound made strict, while the rest of the guard stayed as it was;
 * - a decision flipped to allow: `return false` replaced by `return true` in the same edit;
 * - an internal address no longer refused: a loopback, private-range or cloud-metadata address
 *   (SSRF targets) deleted from the code with nothing equivalent added;
 * - a switch flipped: a boolean literal changed on a line or option that names a safeguard
 *   (verify, sandbox, escape, XML entities...) or a phone-home feature (version check, telemetry);
 * - an edit to the logic of a function, class or file named for a security decision (isAllowed,
 *   verify_signature, Sanitizer, csrf.py, buildQuery...).
 *
 * Edits are read change block by change block (runs of deleted and added lines between context
 * lines), with whitespace-only changes paired off first: a re-indented block is not an edit, so a
 * one-line change inside it stands out. Every scan is linear in the line; lines over 4 KB are not
 * read (the other engines still read them). Heuristics, and the messages say so.
 */
import type { DiffFile } from "../../../lib/diff/unified-diff";
import type { RuleCategory, RuleFinding } from "../../../lib/review/review-output";
import { CODE_EXTENSIONS, extensionOf, isCommentLine, isTestPath, type FileView } from "../file-view";
import { finding } from "../finding";
import { followedBy, stringLiteralsOf, withoutStringContents } from "../line-text";

const MAX_LINE = 4096;

interface Line {
  line: number;
  content: string;
}

/** One edit: deleted and added lines between context lines, and the context lines around it. */
export interface ChangeBlock {
  deleted: Line[];
  added: Line[];
  /** Up to three new-side lines after the block (context, or the next block's added lines). */
  after: string[];
  /** Up to eight lines before the block (context and deleted), nearest last. */
  before: string[];
}

const compact = (content: string) => content.replace(/\s+/g, "");

/**
 * The file's change blocks, with lines that only changed whitespace paired off and dropped from
 * both sides: re-indenting a block around a one-line change leaves just that line.
 */
export function normalisedChangeBlocks(file: DiffFile): ChangeBlock[] {
  const blocks: ChangeBlock[] = [];
  for (const hunk of file.hunks) {
    const lines = hunk.lines;
    let i = 0;
    while (i < lines.length) {
      if (lines[i].kind === "context") {
        i++;
        continue;
      }
      const start = i;
      const deleted: Line[] = [];
      const added: Line[] = [];
      while (i < lines.length && lines[i].kind !== "context") {
        const l = lines[i];
        if (l.kind === "del") deleted.push({ line: l.oldLine!, content: l.content });
        else added.push({ line: l.newLine!, content: l.content });
        i++;
      }
      // Pair off whitespace-only changes: each added line cancels one deleted line of the same text.
      const addedCount = new Map<string, number>();
      for (const a of added) addedCount.set(compact(a.content), (addedCount.get(compact(a.content)) ?? 0) + 1);
      const keptDeleted: Line[] = [];
      const cancelled = new Map<string, number>();
      for (const d of deleted) {
        const key = compact(d.content);
        const left = addedCount.get(key) ?? 0;
        if (left > 0) {
          addedCount.set(key, left - 1);
          cancelled.set(key, (cancelled.get(key) ?? 0) + 1);
        } else keptDeleted.push(d);
      }
      const keptAdded: Line[] = [];
      for (const a of added) {
        const key = compact(a.content);
        const n = cancelled.get(key) ?? 0;
        if (n > 0) cancelled.set(key, n - 1);
        else keptAdded.push(a);
      }
      const after: string[] = [];
      for (let j = i; j < lines.length && after.length < 3; j++) if (lines[j].kind !== "del") after.push(lines[j].content);
      const before: string[] = [];
      for (let j = start - 1; j >= 0 && before.length < 8; j--) if (lines[j].kind !== "add") before.unshift(lines[j].content);
      if (keptDeleted.length > 0 || keptAdded.length > 0) blocks.push({ deleted: keptDeleted, added: keptAdded, after, before });
    }
  }
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// String literals, read by one forward scan
// ---------------------------------------------------------------------------------------------

/** The string literals of a line, in order (line-text.ts). */
export const stringLiterals = stringLiteralsOf;

// ---------------------------------------------------------------------------------------------
// Escape pairs
// ---------------------------------------------------------------------------------------------

/** Characters that break out of HTML, JavaScript, SQL, shell or a path when not escaped. */
const METACHARACTERS = /[<>&'"`$\\/{};|]|\.\./;
/** How an escaped form looks: a backslash, an HTML entity, a percent or \x / \u code. */
const ESCAPED = /\\|&#?\w{1,8};|%[0-9A-Fa-f]{2}/;
/** The call before a pattern whose replacement may be empty (the pattern is stripped). */
const REPLACE_CALL = /(?:replace|replaceAll|gsub!?|sub!?|strtr|tr|delete)\s*\(\s*$/i;

/**
 * The escape pairs of a line: a short literal holding a metacharacter, then (after `,`, `=>` or
 * `:`) a literal holding its escaped form, or an empty one in a replace call. Returned as
 * "pattern\0replacement" keys.
 */
export function escapePairs(content: string): string[] {
  if (content.length > MAX_LINE) return [];
  const literals = stringLiterals(content);
  const pairs: string[] = [];
  for (let k = 0; k + 1 < literals.length; k++) {
    const a = literals[k];
    const b = literals[k + 1];
    if (a.text.length === 0 || a.text.length > 12 || !METACHARACTERS.test(a.text)) continue;
    const between = content.slice(a.end, b.start).trim();
    if (between !== "," && between !== "=>" && between !== ":") continue;
    const stripped = b.text === "" && REPLACE_CALL.test(content.slice(0, a.start));
    if (b.text === a.text || (!stripped && !ESCAPED.test(b.text))) continue;
    pairs.push(`${a.text}\u0000${b.text}`);
  }
  return pairs;
}

const shown = (text: string) => (/^[\x21-\x7e]{1,16}$/.test(text) ? text : "a metacharacter");

// ---------------------------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------------------------

/** What the diff's added lines hold, computed once per review. */
export interface AddedFacts {
  escapePairs: Set<string>;
  compactLines: Set<string>;
  text: string[];
}

export function addedFactsOf(files: DiffFile[]): AddedFacts {
  const escape = new Set<string>();
  const compactLines = new Set<string>();
  const text: string[] = [];
  for (const file of files) {
    for (const hunk of file.hunks) {
      for (const l of hunk.lines) {
        if (l.kind !== "add") continue;
        for (const p of escapePairs(l.content)) escape.add(p);
        compactLines.add(compact(l.content));
        if (l.content.length <= MAX_LINE) text.push(l.content.toLowerCase());
      }
    }
  }
  return { escapePairs: escape, compactLines, text };
}

/** Reports one finding per rule and file; `line` is an old line number unless `onNewSide`. */
type Cite = (category: RuleCategory, rule: string, severity: "high" | "medium", line: number, message: string, onNewSide?: boolean) => void;

export function detectLogicEdits(view: FileView, added: AddedFacts): RuleFinding[] {
  if (view.isTest || view.isDoc) return [];
  const findings: RuleFinding[] = [];
  const reported = new Set<string>();
  const cite: Cite = (category, rule, severity, line, message, onNewSide = false) => {
    if (reported.has(rule)) return;
    reported.add(rule);
    findings.push(finding(category, rule, severity, onNewSide ? view.path : view.oldPath, line, message));
  };
  const blocks = normalisedChangeBlocks(view.file);
  securityFunctionEdits(view, new Set(blocks.flatMap((b) => b.deleted.map((d) => d.line))), cite);
  allowlistGrown(view, cite);
  for (const block of blocks) {
    const deleted = block.deleted.filter((l) => l.content.length <= MAX_LINE && !isCommentLine(l.content));
    removedEscapePairs(deleted, added, cite);
    removedDangerousCheck(deleted, view, cite);
    weakenedRejection(block, cite);
    flippedToAllow(block, cite);
    flippedSwitch(block, cite);
    removedInternalAddress(deleted, added, cite);
  }
  phoneHomeStubFilled(view, cite);
  return findings;
}

function removedEscapePairs(deleted: Line[], added: AddedFacts, cite: Cite) {
  for (const d of deleted) {
    for (const pair of escapePairs(d.content)) {
      if (added.escapePairs.has(pair)) continue;
      const [from, to] = pair.split("\u0000");
      cite(
        "removed_safeguard",
        "escape-pair",
        "high",
        d.line,
        `Removes an escape of ${shown(from)} (to ${to === "" ? "nothing" : shown(to)}) from an escape table or replace call, and no added line restores it: the character now reaches the output as written. (heuristic)`,
      );
      return;
    }
  }
}

/**
 * Values whose presence in input a guard tests for, by what they break: a literal in a deleted
 * test (`if`, `contains`, `=~`, `==`...) that no added line of the file still tests.
 */
const DANGEROUS_VALUES: { kind: string; category: RuleCategory; literal: RegExp; raw?: RegExp; why: string }[] = [
  {
    kind: "parent-directory",
    category: "path_traversal",
    literal: /^[/\\]{0,2}\.\.(?:[/\\]{1,2}|\\\\)?$/,
    raw: /\\\.\\\./,
    why: 'a name with "../" reaches files outside the folder it was meant for',
  },
  {
    kind: "control-character",
    category: "removed_safeguard",
    literal: /^(?:\\r\\n|\\r|\\n|\\0|\\x00|\\u0000|%00|%0[aAdD]|\\x0[aAdD])$/,
    raw: /\[(?:[^\]\s]{0,8})\\[rn0](?:[^\]\s]{0,8})\]/,
    why: "a CR, LF or NUL in a value splits a header, a log line or a file name",
  },
  {
    kind: "prototype-key",
    category: "removed_safeguard",
    literal: /^(?:__proto__|constructor|prototype)$/,
    why: "a key such as __proto__ writes to every object's prototype (prototype pollution)",
  },
  {
    kind: "script-scheme",
    category: "removed_safeguard",
    literal: /^(?:javascript|vbscript|data):?$/i,
    why: "a javascript: or data: URL runs script where a link was expected",
  },
  {
    kind: "markup",
    category: "removed_safeguard",
    literal: /^(?:<|>|<\/|<script|<\/script|<!--|-->|<\?|\]\]>)$/i,
    why: "markup in a value opens an element or closes the one it sits in",
  },
];

/** Words that make a line a test of its input (rather than, say, a path join). */
const CHECK_WORDS = /\b(?:if|elif|elsif|elseif|unless|when|while|case|assert|contains|includes|include\?|index(?:Of)?|strpos|stripos|str_contains|in_array|match(?:es)?|startswith|starts_with|start_with\?|has_prefix|HasPrefix|Contains|indexOf|find|search)\b|=~|==|!=|\bin\b/;

function removedDangerousCheck(deleted: Line[], view: FileView, cite: Cite) {
  for (const d of deleted) {
    const code = withoutStringContents(d.content);
    if (!CHECK_WORDS.test(code)) continue;
    const literals = stringLiterals(d.content);
    for (const value of DANGEROUS_VALUES) {
      const hit = literals.find((l) => value.literal.test(l.text))?.text ?? (value.raw?.exec(d.content)?.[0] ?? null);
      if (hit === null) continue;
      // Moved or rewritten: an added line of the file still holds the same value.
      if (view.added.some((a) => a.content.length <= MAX_LINE && a.content.includes(hit))) continue;
      cite(value.category, `${value.kind}-check`, "high", d.line, `Removes a test for ${shown(hit)} in a value, and no added line tests it: ${value.why}. (heuristic)`);
    }
  }
}

// ---- a rejecting condition changed in place ---------------------------------------------------

const CONDITION_START = /^\s*(?:\}\s*)?(?:else\s*)?(?:if|elif|elsif|elseif|unless|while)\b/;
/** Words that stop with an error: the body of a guard. */
const REJECTS = /\b(?:throw|raise|die|croak|confess|abort|panic|reject|deny|fail|error|Error|Exception)\b|return\s+(?:false|False|null|nil|None|undef|0|-1|err\b|error|new\s+\w*Error|\w*Error\()/;
/** A trailing guard: `raise X if cond`, `return err unless cond`, `die ... if cond` (two searches). */
const isTrailingGuard = (code: string) => followedBy(code, /\b(?:raise|die|croak|return|throw|fail|abort)\b/, /\b(?:if|unless)\b/);
const COMPARISON = /[<>]=?|[!=]==?|\bne\b|\beq\b|\blt\b|\bgt\b|\ble\b|\bge\b/;

/** The tokens of a line: identifiers, numbers, and operators, for a cheap token-level diff. */
function lineTokens(content: string): string[] {
  return content.match(/[A-Za-z_$][\w$]*|\d+(?:\.\d+)?|[<>!=]=?=?|&&|\|\||[^\s\w]/g) ?? [];
}

/** Where two token lists differ: the common prefix and suffix removed from both. */
function tokenChange(a: string[], b: string[]): { from: string[]; to: string[] } {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  return { from: a.slice(start, endA), to: b.slice(start, endB) };
}

function weakenedRejection(block: ChangeBlock, cite: Cite) {
  if (block.deleted.length === 0 || block.deleted.length > 4 || block.added.length === 0) return;
  for (const d of block.deleted) {
    if (d.content.length > MAX_LINE || isCommentLine(d.content)) continue;
    const code = withoutStringContents(d.content);
    const leading = CONDITION_START.test(code);
    if (!leading && !isTrailingGuard(code)) continue;
    if (!COMPARISON.test(code)) continue;
    // The guard's body: on the line itself, or in the lines after the edit.
    const rejects = REJECTS.test(code.replace(CONDITION_START, "")) || (leading && block.after.slice(0, 2).some((l) => REJECTS.test(withoutStringContents(l))));
    if (!rejects) continue;
    const before = lineTokens(code);
    for (const a of block.added) {
      if (a.content.length > MAX_LINE) continue;
      const after = lineTokens(withoutStringContents(a.content));
      if (before.length < 3 || after.length < 3 || before[0] !== after[0]) continue;
      const { from, to } = tokenChange(before, after);
      // One small change inside the comparison: an operator or an operand, nothing else.
      if (from.length === 0 || from.length > 3 || to.length === 0 || to.length > 3) continue;
      const touchesComparison = [...from, ...to].some((t) => COMPARISON.test(t)) || isOperandOfComparison(before, from);
      if (!touchesComparison) continue;
      cite(
        "removed_safeguard",
        "rejecting-condition-changed",
        "medium",
        d.line,
        `Changes the comparison of a condition that rejects input (${from.join(" ").slice(0, 30)} → ${to.join(" ").slice(0, 30)}) and keeps the rest of the guard: check it still rejects everything it did. (heuristic)`,
      );
      return;
    }
  }
}

/** Whether the changed tokens sit right next to a comparison operator (an operand of it). */
function isOperandOfComparison(tokens: string[], changed: string[]): boolean {
  const at = tokens.indexOf(changed[0]);
  if (at < 0) return false;
  const near = [tokens[at - 1], tokens[at + changed.length]];
  return near.some((t) => t !== undefined && /^(?:[<>]=?|[!=]==?)$/.test(t));
}

// ---- the logic of a security function edited ---------------------------------------------------

/** Word parts of a function or class name that make it a security decision. */
const SECURITY_WORDS = new Set(["auth", "authn", "authz", "authenticate", "authentication", "authorize", "authorization", "authorized", "permission", "permissions", "permitted", "allowed", "allow", "deny", "denied", "acl", "acls", "access", "privilege", "verify", "verified", "validate", "validation", "validator", "valid", "sanitize", "sanitise", "sanitizer", "sanitiser", "escape", "escaper", "safe", "unsafe", "secure", "security", "trusted", "trust", "csrf", "xsrf", "password", "passwd", "credential", "credentials", "signature", "hmac", "sandbox", "sandboxed", "whitelist", "blacklist", "allowlist", "denylist", "blocklist", "forbidden", "forbid", "restrict", "restricted", "login", "origin", "cors", "redirect", "secret", "crypto", "cipher", "nonce", "jwt", "oauth", "saml", "session", "cookie", "token", "sign", "signed", "policy", "guard", "protect", "protection", "purify", "purifier", "clean", "cleaner", "quote", "encode", "encoder", "xss", "injection", "url", "uri", "host", "upload", "template", "eval", "exec", "shell", "command", "sql", "query", "include", "download", "fetch", "proxy", "header", "headers"]);
/** A line that declares a function, method, sub or class: its name is the first identifier after the keyword. */
const DECLARES = /\b(?:def|function|func|sub|fn|class|module|interface|trait)\s+(?:\([^)]{0,200}\)\s*)?([A-Za-z_$][\w$]*)/;
const JAVA_LIKE_METHOD = /^\s*(?:(?:public|protected|private|static|final|abstract|synchronized|override|virtual|async|internal)\s+)+[\w.<>\[\],?]+\s+([A-Za-z_]\w*)\s*\(/;
/** A line of logic: a condition, a return, a throw, a comparison (not `=>`, `->`, `<<`). */
const LOGIC = /\b(?:if|elif|elsif|elseif|unless|else|return|throw|raise|die|croak|case|when|switch|match)\b|(?<![-=<>])[<>]=?(?![<>])|[!=]==?|&&|\|\||\band\b|\bor\b|\bnot\b/;

function nameWordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function declaredName(content: string): string | null {
  if (content.length > MAX_LINE) return null;
  return DECLARES.exec(content)?.[1] ?? JAVA_LIKE_METHOD.exec(content)?.[1] ?? null;
}

/**
 * For each line of a whole file, the names of the functions and classes it sits in, innermost
 * last: a declaration opens a scope that lasts until a non-blank line indented no deeper than it.
 * Indentation stands in for a parse (it is how nearly all code in every language is laid out), one
 * pass over the file, each scope pushed and popped once. Index 0 is line 1.
 */
export function enclosingDeclarations(content: string): string[][] {
  const scopes: { indent: number; name: string }[] = [];
  const endScopesFrom = (indent: number) => {
    while (scopes.length > 0 && scopes[scopes.length - 1].indent >= indent) scopes.pop();
  };
  const result: string[][] = [];
  for (const text of content.split("\n")) {
    const trimmed = text.trimStart();
    const indent = text.length - trimmed.length;
    // A line that closes a bracket continues what is open: `) -> bool:` ends a signature, not its
    // function; `}` at a scope's indentation ends that scope, after this line.
    const continues = trimmed === "" || isCommentLine(text) || /^[)\]]/.test(trimmed);
    const closes = trimmed.startsWith("}");
    if (!continues && !closes) endScopesFrom(indent);
    result.push(scopes.map((scope) => scope.name));
    if (closes) endScopesFrom(indent);
    const name = continues || text.length > MAX_LINE ? null : declaredName(text);
    if (name) scopes.push({ indent, name });
  }
  return result;
}

/**
 * An edit to the logic (a condition, a return, a comparison; re-indentation is not an edit) inside a function or class whose name
 * says it makes a security decision: isAllowed, verify_signature, Sanitizer, checkCsrf. What such a
 * function answers is the safeguard, so a change to how it decides is for a person to read. With
 * the base file, the names are those of every function and class the edit sits in; from the diff
 * alone, the nearest declaration above the edit in the hunk, or the hunk header.
 */
function securityFunctionEdits(view: FileView, edited: Set<number>, cite: Cite) {
  // A file named for security decisions counts too, except for "safe"/"unsafe", which in a file
  // name usually means memory safety (Go's and Rust's unsafe), not a decision about input.
  const fileName = view.oldPath.slice(view.oldPath.lastIndexOf("/") + 1).replace(/\.[^.]*$/, "");
  if (nameWordsOf(fileName).some((w) => SECURITY_WORDS.has(w) && w !== "safe" && w !== "unsafe")) {
    const logic = view.deleted.find((l) => edited.has(l.line) && l.content.length <= MAX_LINE && !isCommentLine(l.content) && LOGIC.test(withoutStringContents(l.content)));
    if (logic) {
      cite("removed_safeguard", "security-file-logic", "medium", logic.line, `Changes a condition or result in ${fileName.slice(0, 60)}, whose name says it makes security decisions: read how it decides now. (heuristic)`);
    }
  }
  const base = view.source?.base;
  if (base) {
    const enclosing = enclosingDeclarations(base);
    for (const l of view.deleted) {
      if (!edited.has(l.line) || l.content.length > MAX_LINE || isCommentLine(l.content) || !LOGIC.test(withoutStringContents(l.content))) continue;
      const name = (enclosing[l.line - 1] ?? []).findLast((n) => nameWordsOf(n).some((w) => SECURITY_WORDS.has(w)));
      if (!name) continue;
      cite("removed_safeguard", "security-function-logic", "medium", l.line, `Changes a condition or result inside ${name.slice(0, 60)}, whose name says it makes a security decision: read how it decides now. (heuristic)`);
      return;
    }
    return;
  }
  for (const hunk of view.file.hunks) {
    let name: string | null = declaredName(hunk.header);
    for (const l of hunk.lines) {
      if (l.kind !== "add") {
        const declared = declaredName(l.content);
        if (declared) name = declared;
      }
      if (l.kind !== "del" || !name || !edited.has(l.oldLine!) || l.content.length > MAX_LINE || isCommentLine(l.content) || l.content.trim() === "") continue;
      if (!LOGIC.test(withoutStringContents(l.content))) continue;
      if (!nameWordsOf(name).some((w) => SECURITY_WORDS.has(w))) continue;
      cite("removed_safeguard", "security-function-logic", "medium", l.oldLine!, `Changes a condition or result inside ${name.slice(0, 60)}, whose name says it makes a security decision: read how it decides now. (heuristic)`);
      return;
    }
  }
}

// ---- an allowlist grown ------------------------------------------------------------------------

/** Word parts of a collection's name that say it decides what is let through. */
const ALLOWLIST_WORDS = new Set(["allowed", "allow", "allows", "allowlist", "whitelist", "whitelisted", "permitted", "permit", "safe", "trusted", "supported", "accepted", "exempt", "exempted", "exemptions"]);
/** A line that is one entry of a list: a string, a symbol or a name, with its separator. */
const LIST_ENTRY = /^\s*(?:"[^"\\]{1,100}"|'[^'\\]{1,100}'|:[A-Za-z_]\w{0,60}|[A-Za-z_][\w.]{0,100})\s*[,;]?\s*$/;
/** The names on a line (one linear scan). */
const NAMES = /[A-Za-z_][\w]*/g;
/** Lines longer than this do not open a list (`ALLOWED_HOSTS = [` is short). */
const MAX_OPENER = 300;

/**
 * Entries added to a list whose name says it decides what is let through (allowed hosts, safe
 * attributes, supported image operations passed to a shell tool): each entry widens what input
 * may do, so a person should see what was let in. The list's name is on the nearest line above
 * the entry, less indented, that opens a collection: read in the whole head file when the
 * repository was readable (the name is usually far above the hunk), else in the hunk. A heuristic.
 */
function allowlistGrown(view: FileView, cite: Cite) {
  const head = view.source?.head?.split("\n");
  let headParents: Int32Array | undefined;
  for (const hunk of view.file.hunks) {
    const newSide = hunk.lines.filter((l) => l.kind !== "del");
    // Entries with their index on the hunk's new side.
    const candidates = newSide.flatMap((l, at) => (l.kind === "add" && l.content.length <= 200 && LIST_ENTRY.test(l.content) && !isCommentLine(l.content) ? [{ entry: l, at }] : []));
    if (candidates.length === 0) continue;
    // The lines the entries sit among: the whole head's, or the hunk's new side; each line's parent
    // (the nearest line above it that is less indented) found for all of them in one pass.
    const lines = head ?? newSide.map((l) => l.content);
    const parents = head ? (headParents ??= parentLines(head)) : parentLines(lines);
    for (const { entry, at } of candidates) {
      const parent = parents[head ? entry.newLine! - 1 : at];
      if (parent < 0) continue;
      // The parent opens the entry's list, or the entry is not in one.
      const opener = lines[parent].trimEnd();
      if (opener.length > MAX_OPENER || !"[{(".includes(opener.at(-1) ?? "")) continue;
      const name = opener.match(NAMES)?.find((n) => nameWordsOf(n).some((w) => ALLOWLIST_WORDS.has(w)));
      if (!name) continue;
      cite("removed_safeguard", "allowlist-grown", "medium", entry.newLine!, `Adds ${entry.content.trim().replace(/,$/, "").slice(0, 60)} to ${name.slice(0, 60)}, a list whose name says it decides what is let through: each entry widens what input may do. (heuristic)`, true);
      return;
    }
  }
}

/** For each line, the index of the nearest non-blank line above it that is less indented (-1: none); one pass with a stack. */
function parentLines(lines: string[]): Int32Array {
  const parents = new Int32Array(lines.length).fill(-1);
  const stack: { indent: number; index: number }[] = [];
  lines.forEach((text, index) => {
    if (text.trim() === "") return;
    const indent = indentOf(text);
    while (stack.length > 0 && stack[stack.length - 1].indent >= indent) stack.pop();
    if (stack.length > 0) parents[index] = stack[stack.length - 1].index;
    stack.push({ indent, index });
  });
  return parents;
}

function indentOf(text: string): number {
  let i = 0;
  while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
  return i;
}

// ---- phone-home code turned back on ------------------------------------------------------------

/** A body that does nothing: the stub distributors put in place of phone-home code. */
const STUB_BODY = /^\s*(?:return(?:\s+(?:null|None|nil|false|False|undefined|0|SKIP))?\s*;?|pass)\s*$/;

/**
 * A stub (`return null`, `pass`) replaced by code in a file or function named for contacting the
 * vendor (an update notifier, a version check, telemetry): the program calls home again. The
 * reverse of how distributions switch such code off. A heuristic.
 */
function phoneHomeStubFilled(view: FileView, cite: Cite) {
  const named = PHONE_HOME_SWITCH.test(view.path);
  for (const hunk of view.file.hunks) {
    // Read raw, not paired off: the stub's `return null` often comes back inside the new code.
    const stub = hunk.lines.findIndex((l) => l.kind === "del" && STUB_BODY.test(l.content));
    if (stub < 0) continue;
    const logic = hunk.lines.slice(stub).filter((l) => l.kind === "add" && l.content.trim() !== "" && !isCommentLine(l.content));
    if (logic.length < 3) continue;
    if (!named && !hunk.lines.slice(0, stub).some((l) => l.kind === "context" && PHONE_HOME_SWITCH.test(l.content)) && !PHONE_HOME_SWITCH.test(hunk.header)) continue;
    cite("new_integration", "phone-home-enabled", "medium", logic[0].newLine!, "Replaces a do-nothing stub with code in a function or file named for contacting the vendor (update check, telemetry): the program calls out again. (heuristic)", true);
    return;
  }
}

// ---- a decision flipped to allow ---------------------------------------------------------------

const RETURNS_DENY = /^\s*return\s*\(?\s*(?:false|False|FALSE|NO)\s*\)?\s*;?\s*$/;
const RETURNS_ALLOW = /^\s*return\s*\(?\s*(?:true|True|TRUE|YES)\s*\)?\s*;?\s*$/;

function flippedToAllow(block: ChangeBlock, cite: Cite) {
  const denied = block.deleted.find((d) => RETURNS_DENY.test(d.content));
  if (!denied || !block.added.some((a) => RETURNS_ALLOW.test(a.content))) return;
  // Both answers kept somewhere in the edit: the order changed, not the decision.
  if (block.added.some((a) => RETURNS_DENY.test(a.content)) || block.deleted.some((d) => RETURNS_ALLOW.test(d.content))) return;
  cite(
    "removed_safeguard",
    "decision-flipped-to-allow",
    "medium",
    denied.line,
    "Replaces `return false` with `return true` in the same place: what this check turned away it now accepts (a default that denied now allows). (heuristic)",
  );
}

// ---- a switch flipped --------------------------------------------------------------------------

const BOOLEAN = /\b(?:true|false|True|False|TRUE|FALSE)\b/g;
/** Settings whose value decides a safeguard. */
const SAFEGUARD_SWITCH = /verif|valid|sanitiz|escap|sandbox|secure|insecure|strict|safe|csrf|xsrf|auth|ssl|tls|cert|check_?host|hostname|signature|encrypt|protect|restrict|trust|entit|dtd|doctype|noent|no_?network|external|redirect|httponly|samesite|pickle|allow_?(?:unsafe|all|any)/i;
/** Settings whose value decides whether the program calls home. */
const PHONE_HOME_SWITCH = /version[-_ ]?check|update[-_ ]?check|check[-_ ]?(?:for[-_ ]?)?update|update[-_ ]?notif|auto[-_ ]?update|telemetry|analytics|usage[-_ ]?(?:stats|data|report)|crash[-_ ]?report|phone[-_ ]?home|send[-_ ]?stats|tracking/i;

function flippedSwitch(block: ChangeBlock, cite: Cite) {
  if (block.deleted.length > 3) return;
  for (const d of block.deleted) {
    if (d.content.length > MAX_LINE || isCommentLine(d.content)) continue;
    const booleans = d.content.match(BOOLEAN);
    if (!booleans) continue;
    // The same line with its booleans flipped, and nothing else changed.
    const flipped = compact(d.content.replace(BOOLEAN, (b) => FLIP[b]));
    const a = block.added.find((l) => compact(l.content) === flipped);
    if (!a) continue;
    // The setting's name: on the line, or on the lines just above (an option's declaration).
    const named = [...block.before.slice(-4), d.content].join("\n");
    if (PHONE_HOME_SWITCH.test(named)) {
      cite("new_integration", "phone-home-switch", "medium", a.line, "Flips a setting that decides whether the program contacts its vendor (update check, telemetry): by default it now calls out. (heuristic)", true);
      return;
    }
    if (SAFEGUARD_SWITCH.test(named)) {
      cite("removed_safeguard", "safeguard-switch", "medium", d.line, "Flips a boolean on a setting that controls a safeguard (verification, escaping, a sandbox...): check the new value does not turn it off. (heuristic)");
      return;
    }
  }
}

const FLIP: Record<string, string> = { true: "false", false: "true", True: "False", False: "True", TRUE: "FALSE", FALSE: "TRUE" };

// ---- an internal address no longer refused -----------------------------------------------------

/** Addresses an outbound request must not reach: loopback, private ranges, link-local, metadata. */
const INTERNAL_ADDRESS = /^(?:0\.0\.0\.0|127\.|10\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.|169\.254\.|100\.64\.|::1?$|::ffff|fc00:|fd00:|fe80:|localhost|metadata\.google\.internal|metadata\b|instance-data)/i;

function removedInternalAddress(deleted: Line[], added: AddedFacts, cite: Cite) {
  for (const d of deleted) {
    for (const literal of stringLiterals(d.content)) {
      const text = literal.text.trim();
      if (text.length === 0 || text.length > 64 || !INTERNAL_ADDRESS.test(text)) continue;
      const needle = text.toLowerCase();
      if (added.text.some((t) => t.includes(needle))) continue;
      cite(
        "ssrf",
        "internal-address-removed",
        "medium",
        d.line,
        `Removes ${/^[\w.:/-]{1,64}$/.test(text) ? text : "an internal address"} from the code, and no added line names it: if it was on a list of addresses refused to outbound requests, they can now reach it (SSRF). (heuristic)`,
      );
      return;
    }
  }
}

/**
 * The deleted lines of logic (a condition, a return, a comparison) of a code file that is not a
 * test, in order: what the strict policy (`review.escalateDeletedLogic`) sends to a person whatever
 * the rules made of them. Comment lines and text inside strings do not count. Linear in the file's
 * diff, so it runs on every file, those the rules do not read (too large, vendored) included.
 */
export function deletedLogicLines(file: DiffFile): { line: number; content: string }[] {
  // Deleted lines belong to the old file: a rename to a test or a text file does not make them less deleted.
  const path = file.oldPath ?? file.path;
  if (file.binary || isTestPath(path) || !CODE_EXTENSIONS.has(extensionOf(path))) return [];
  return file.hunks.flatMap((h) =>
    h.lines.flatMap((l) => (l.kind === "del" && !isCommentLine(l.content) && LOGIC.test(withoutStringContents(l.content)) ? [{ line: l.oldLine!, content: l.content }] : [])),
  );
}
