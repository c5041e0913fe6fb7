/**
 * gitleaks' maintained secret rules (rule-sets/gitleaks/gitleaks.toml, v8.28.0, MIT) executed with
 * RE2JS, a linear-time regular-expression engine: gitleaks is written in Go, whose regexp package
 * is RE2, so every rule means here what it means there, and no input can make one backtrack.
 *
 * What gitleaks does with a rule, and so what this does (detect/detect.go in gitleaks):
 *   1. keywords: the rule runs only on text that contains one of them (case-insensitive);
 *   2. path: a rule with a path pattern runs only on files it matches;
 *   3. the secret is the rule's secretGroup, else the first non-empty capture group, else the match;
 *   4. entropy: a secret whose Shannon entropy is at or below the rule's threshold is dropped;
 *   5. allowlists (global and per rule): regexes against the secret, the match or the line,
 *      stopwords contained in the secret, and paths; "AND" needs every listed criterion.
 * It runs on the added lines of each file (what the pull request brings), never the deleted ones.
 * Findings name the rule and the line, never the secret.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RE2JS } from "re2js";
import { parse } from "smol-toml";
import type { RuleFinding } from "../../../lib/review/review-output";
import type { FileView } from "../file-view";
import { finding } from "../finding";
import { linesOf, type AddedText } from "./added-text";

const GITLEAKS_RULES_PATH = join(import.meta.dirname, "..", "rule-sets", "gitleaks", "gitleaks.toml");

/**
 * The one gitleaks rule that matches by the name of the key rather than the shape of the value.
 * Test fixtures are full of such assignments, so it is not applied to test files (the shaped rules
 * are: a real token in a test leaks all the same).
 */
const GENERIC_RULE = "generic-api-key";

/** Lines longer than this are read around each keyword rather than whole (see regionsToScan). */
const LONG_LINE = 4096;
const WINDOW_BEFORE = 512;
const WINDOW_AFTER = 1024;

interface Allowlist {
  condition: "OR" | "AND";
  regexTarget: "secret" | "match" | "line";
  regexes: RE2JS[];
  stopwords: string[];
  paths: RE2JS[];
}

interface GitleaksRule {
  id: string;
  description: string;
  regex: RE2JS | null;
  path: RE2JS | null;
  secretGroup: number;
  entropy: number;
  keywords: string[];
  /** Whether a match may span lines (private key blocks, multi-line curl commands). */
  multiline: boolean;
  allowlists: Allowlist[];
}

interface GitleaksRuleSet {
  rules: GitleaksRule[];
  allowlists: Allowlist[];
}

type TomlTable = Record<string, unknown>;

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);

function compile(pattern: string): RE2JS {
  return RE2JS.compile(pattern);
}

function allowlistOf(table: TomlTable): Allowlist {
  return {
    condition: table.condition === "AND" ? "AND" : "OR",
    regexTarget: table.regexTarget === "match" || table.regexTarget === "line" ? table.regexTarget : "secret",
    regexes: strings(table.regexes).map(compile),
    stopwords: strings(table.stopwords).map((w) => w.toLowerCase()),
    paths: strings(table.paths).map(compile),
  };
}

/** Parses and compiles a gitleaks config; every pattern is compiled once, here. */
function loadGitleaksRules(toml: string): GitleaksRuleSet {
  const config = parse(toml) as TomlTable;
  const globalLists = [config.allowlist, ...(Array.isArray(config.allowlists) ? config.allowlists : [])].filter((t): t is TomlTable => typeof t === "object" && t !== null);
  const rules = (Array.isArray(config.rules) ? (config.rules as TomlTable[]) : []).map((rule): GitleaksRule => {
    const lists = [rule.allowlist, ...(Array.isArray(rule.allowlists) ? rule.allowlists : [])].filter((t): t is TomlTable => typeof t === "object" && t !== null);
    return {
      id: String(rule.id),
      description: String(rule.description ?? rule.id),
      regex: typeof rule.regex === "string" ? compile(rule.regex) : null,
      path: typeof rule.path === "string" ? compile(rule.path) : null,
      secretGroup: typeof rule.secretGroup === "number" ? rule.secretGroup : 0,
      entropy: typeof rule.entropy === "number" ? rule.entropy : 0,
      keywords: strings(rule.keywords).map((k) => k.toLowerCase()),
      multiline: typeof rule.regex === "string" && /\\[nr]|\\s\\S|\(\?s/.test(rule.regex.replace(/\\\\[nr]/g, "")),
      allowlists: lists.map(allowlistOf),
    };
  });
  return { rules, allowlists: globalLists.map(allowlistOf) };
}

let bundled: GitleaksRuleSet | null = null;

/** The vendored rule set, compiled on first use (about 200 rules; once per process). */
export function bundledGitleaksRules(): GitleaksRuleSet {
  bundled ??= loadGitleaksRules(readFileSync(GITLEAKS_RULES_PATH, "utf8"));
  return bundled;
}

/** Shannon entropy in bits per character, as gitleaks computes it (over bytes). */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<number, number>();
  const bytes = Buffer.from(text, "utf8");
  for (const b of bytes) counts.set(b, (counts.get(b) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / bytes.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

const found = (re: RE2JS, text: string) => re.matcher(text).find();

function allows(list: Allowlist, path: string, candidate: { secret: string; match: string; line: string }): boolean {
  const checks: boolean[] = [];
  if (list.paths.length > 0) checks.push(list.paths.some((re) => found(re, path)));
  if (list.regexes.length > 0) checks.push(list.regexes.some((re) => found(re, candidate[list.regexTarget])));
  if (list.stopwords.length > 0) {
    const secret = candidate.secret.toLowerCase();
    checks.push(list.stopwords.some((w) => secret.includes(w)));
  }
  if (checks.length === 0) return false;
  return list.condition === "AND" ? checks.every(Boolean) : checks.some(Boolean);
}

/** The rule's secret: its secretGroup, else the first non-empty capture group, else the match. */
function secretOf(rule: GitleaksRule, matcher: ReturnType<RE2JS["matcher"]>, match: string): string {
  if (matcher.groupCount() < 1) return match.replace(/^\n+|\n+$/g, "");
  if (rule.secretGroup > 0) return matcher.group(rule.secretGroup) ?? "";
  for (let g = 1; g <= matcher.groupCount(); g++) {
    const value = matcher.group(g);
    if (value) return value;
  }
  return match.replace(/^\n+|\n+$/g, "");
}

/**
 * Where a rule runs: the whole text for a rule without keywords or whose matches may span lines;
 * otherwise only the runs of consecutive lines that hold one of its keywords. gitleaks gates a rule
 * on its keywords over the whole fragment; its keywords are chosen to lie inside the match, so a
 * single-line match always sits on such a line, and the rule's regex, the slowest part of a scan
 * (the generic rule reads under 1 MB/s in RE2JS), skips the lines that cannot match.
 */
function regionsToScan(rule: GitleaksRule, text: AddedText, lower: string): { offset: number; text: string }[] {
  if (rule.keywords.length === 0 || rule.multiline) return [{ offset: 0, text: text.text }];
  const ranges: [number, number][] = [];
  for (const keyword of rule.keywords) {
    for (let at = lower.indexOf(keyword); at >= 0; ) {
      const line = text.lines[text.indexAt(at)];
      const lineStart = text.offsetOf(text.indexAt(at));
      const lineEnd = lineStart + line.content.length;
      if (line.content.length <= LONG_LINE) {
        ranges.push([lineStart, lineEnd]);
        at = lower.indexOf(keyword, lineEnd);
      } else if (rule.id === GENERIC_RULE) {
        // The name-based rule is the slowest (under 1 MB/s in RE2JS), and a line of kilobytes
        // dense with "key", "token" and "secret" would have it read all of it: it skips such lines.
        // The shaped rules still read them, and the line rules' credential assignment rule reads
        // every line in linear time.
        at = lower.indexOf(keyword, lineEnd);
      } else {
        // In a very long line (minified code, a hostile one-liner) only the neighbourhood of each
        // keyword is read: no secret a rule describes is longer than that.
        ranges.push([Math.max(lineStart, at - WINDOW_BEFORE), Math.min(lineEnd, at + WINDOW_AFTER)]);
        at = lower.indexOf(keyword, at + keyword.length);
      }
    }
  }
  ranges.sort((x, y) => x[0] - y[0]);
  const regions: { offset: number; text: string }[] = [];
  let current: [number, number] | null = null;
  for (const range of ranges) {
    // Ranges that touch (consecutive lines are one "\n" apart) are read as one region.
    if (current && range[0] <= current[1] + 1) current[1] = Math.max(current[1], range[1]);
    else {
      if (current) regions.push({ offset: current[0], text: text.text.slice(current[0], current[1]) });
      current = [range[0], range[1]];
    }
  }
  if (current) regions.push({ offset: current[0], text: text.text.slice(current[0], current[1]) });
  return regions;
}

/** The findings of one rule set in one file's added lines. */
function scanWithGitleaks(rules: GitleaksRuleSet, path: string, text: AddedText, skipGeneric: boolean): RuleFinding[] {
  // A path on the global allowlist (lock files, vendored code, images) is not scanned at all.
  if (rules.allowlists.some((list) => list.paths.length > 0 && list.regexes.length === 0 && list.stopwords.length === 0 && list.paths.some((re) => found(re, path)))) return [];
  const lower = text.text.toLowerCase();
  const hits: { rule: GitleaksRule; line: number; secret: string }[] = [];
  for (const rule of rules.rules) {
    if (skipGeneric && rule.id === GENERIC_RULE) continue;
    if (rule.keywords.length > 0 && !rule.keywords.some((k) => lower.includes(k))) continue;
    if (rule.path && !found(rule.path, path)) continue;
    if (!rule.regex) {
      // A path-only rule: the file itself is the finding (a key store, a credentials file).
      if (rule.path) hits.push({ rule, line: text.lines[0]?.line ?? 1, secret: "" });
      continue;
    }
    const reported = new Set<number>();
    for (const region of regionsToScan(rule, text, lower)) {
      const matcher = rule.regex.matcher(region.text);
      while (matcher.find()) {
        const start = matcher.start();
        const end = matcher.end();
        if (end === start) continue;
        const match = region.text.slice(start, end);
        const secret = secretOf(rule, matcher, match);
        if (rule.entropy > 0 && shannonEntropy(secret) <= rule.entropy) continue;
        const at = text.lineAt(region.offset + start);
        const candidate = { secret, match, line: at.content };
        if (reported.has(at.line) || [...rules.allowlists, ...rule.allowlists].some((list) => allows(list, path, candidate))) continue;
        reported.add(at.line);
        hits.push({ rule, line: at.line, secret });
      }
    }
  }
  // As gitleaks does (detect.go, filter): a generic rule's hit gives way to a specific rule's
  // hit on the same line whose secret contains it.
  const isGeneric = (rule: GitleaksRule) => rule.id.toLowerCase().includes("generic");
  return hits
    .filter((hit) => !isGeneric(hit.rule) || !hits.some((other) => other.line === hit.line && !isGeneric(other.rule) && other.secret.includes(hit.secret)))
    .map((hit) => finding("hardcoded_secret", hit.rule.id, "critical", path, hit.line, `${hit.rule.description} Move it to a secret store and rotate it.`));
}

export function detectWithGitleaks(view: FileView): RuleFinding[] {
  if (view.added.length === 0) return [];
  return scanWithGitleaks(bundledGitleaksRules(), view.path, linesOf(view.added), view.isTest);
}
