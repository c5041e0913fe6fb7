/**
 * Structural rules per language, as ast-grep rule files (rule-sets/ast-grep/<language>/*.yml),
 * run with @ast-grep/napi over tree-sitter parses of what the diff shows of each changed file.
 *
 * A diff holds fragments of a file, not the file: each hunk's new side (context and added lines,
 * in order) is parsed on its own (tree-sitter recovers from the missing beginning and end), every
 * rule of the file's language runs on it, and a match counts only when its node covers at least
 * one added line. A finding names the first added line the node covers, once per rule and line.
 *
 * The rule files are ast-grep's own format (id, language, rule, constraints, utils, message,
 * severity) with metadata.category naming the finding category. They are read once per process,
 * on first use. Two things keep the cost linear and small on hostile input (huge diffs, 1 MB
 * lines): a rule only runs on a hunk whose text contains one of the words its patterns require
 * (derived from the rule itself, see requiredWords), and regexes in rules are plain ASCII (Rust's
 * regex compiles Unicode classes such as \w slowly, and napi compiles a rule on each call).
 *
 * PHP is parsed with "<?php" before each hunk (the grammar reads anything before the tag as
 * HTML), and PHP patterns are wrapped the same way when the rules are loaded.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Lang, parse, registerDynamicLanguage, type NapiConfig, type SgNode } from "@ast-grep/napi";
import { parseAllDocuments } from "yaml";
import { ruleCategories, type RuleCategory, type RuleFinding } from "../../../lib/review/review-output";
import type { FileView } from "../file-view";
import { extensionOf } from "../file-view";
import { finding, type Severity } from "../finding";

export const AST_GREP_RULES_DIR = join(import.meta.dirname, "..", "rule-sets", "ast-grep");

/** The languages with a rule folder, and the parser each one uses. */
export const STRUCTURAL_LANGUAGES = ["typescript", "python", "go", "java", "ruby", "php", "csharp"] as const;
export type StructuralLanguage = (typeof STRUCTURAL_LANGUAGES)[number];

const DYNAMIC_LANGUAGES = ["python", "go", "java", "ruby", "php", "csharp"] as const;

const EXTENSION_LANGUAGE: Record<string, StructuralLanguage> = {
  ts: "typescript",
  tsx: "typescript",
  mts: "typescript",
  cts: "typescript",
  js: "typescript",
  jsx: "typescript",
  mjs: "typescript",
  cjs: "typescript",
  py: "python",
  go: "go",
  java: "java",
  rb: "ruby",
  rake: "ruby",
  php: "php",
  cs: "csharp",
};

/** The `language` a rule file may declare for each folder. */
const DECLARED_LANGUAGES: Record<StructuralLanguage, string[]> = {
  typescript: ["tsx", "typescript", "javascript"],
  python: ["python"],
  go: ["go"],
  java: ["java"],
  ruby: ["ruby"],
  php: ["php"],
  csharp: ["csharp"],
};

const SEVERITIES = new Set<Severity>(["low", "medium", "high", "critical"]);
const PHP_OPEN = "<?php\n";

export interface StructuralRule {
  /** "python/sql-fstring": the language folder, then the rule's name. */
  id: string;
  language: StructuralLanguage;
  category: RuleCategory;
  severity: Severity;
  message: string;
  /** The config handed to ast-grep's findAll. */
  config: NapiConfig;
  /** A hunk must contain one of these words for the rule to be worth running; null: always run. */
  words: string[] | null;
  /** The file the rule came from, relative to the rule folder. */
  source: string;
}

export function languageOfPath(path: string): StructuralLanguage | null {
  return EXTENSION_LANGUAGE[extensionOf(path)] ?? null;
}

function parserOf(language: StructuralLanguage): string {
  return language === "typescript" ? Lang.Tsx : language;
}

let registered = false;

function registerLanguages() {
  if (registered) return;
  const require = createRequire(import.meta.url);
  const registrations: Record<string, { libraryPath: string; extensions: string[]; languageSymbol?: string; expandoChar?: string }> = {};
  for (const language of DYNAMIC_LANGUAGES) {
    const lang = require(`@ast-grep/lang-${language}`) as { libraryPath: string; extensions: string[]; languageSymbol?: string; expandoChar?: string };
    registrations[language] = { libraryPath: lang.libraryPath, extensions: lang.extensions, languageSymbol: lang.languageSymbol, expandoChar: lang.expandoChar };
  }
  try {
    registerDynamicLanguage(registrations);
  } catch (error) {
    // Registered already by an earlier copy of this module in the same process (test isolation).
    if (!/regist/i.test(error instanceof Error ? error.message : String(error))) throw error;
  }
  registered = true;
}

// ---------------------------------------------------------------------------------------------
// Loading the rule files
// ---------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every rule file, as paths relative to the rule folder. */
export function structuralRuleFiles(dir = AST_GREP_RULES_DIR): string[] {
  const files: string[] = [];
  for (const language of STRUCTURAL_LANGUAGES) {
    let names: string[];
    try {
      names = readdirSync(join(dir, language));
    } catch {
      continue;
    }
    for (const name of names.sort()) if (/\.ya?ml$/.test(name)) files.push(`${language}/${name}`);
  }
  return files;
}

/** Reads and checks every rule file; throws naming the file and rule on anything malformed. */
export function loadStructuralRules(dir = AST_GREP_RULES_DIR): StructuralRule[] {
  registerLanguages();
  const rules: StructuralRule[] = [];
  const ids = new Set<string>();
  for (const source of structuralRuleFiles(dir)) {
    const language = source.slice(0, source.indexOf("/")) as StructuralLanguage;
    for (const doc of parseAllDocuments(readFileSync(join(dir, source), "utf8"))) {
      if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0].message}`);
      const raw = doc.toJS() as unknown;
      if (raw === null || raw === undefined) continue;
      const rule = checkRule(raw, language, source);
      try {
        // napi compiles a rule when it runs: running it once on nothing surfaces any mistake here.
        parse(parserOf(language), language === "php" ? PHP_OPEN : "").root().findAll(rule.config);
      } catch (error) {
        throw new Error(`${source}: rule ${rule.id} does not compile: ${shortError(error)}`);
      }
      if (ids.has(rule.id)) throw new Error(`${source}: rule id ${rule.id} is used twice`);
      ids.add(rule.id);
      rules.push(rule);
    }
  }
  return rules;
}

function checkRule(raw: unknown, language: StructuralLanguage, source: string): StructuralRule {
  if (!isObject(raw)) throw new Error(`${source}: a rule must be a mapping`);
  const id = raw.id;
  if (typeof id !== "string" || !id.startsWith(`${language}/`)) throw new Error(`${source}: rule id must start with "${language}/"`);
  const where = `${source}: ${id}`;
  if (typeof raw.language !== "string" || !DECLARED_LANGUAGES[language].includes(raw.language.toLowerCase())) throw new Error(`${where}: language must be one of ${DECLARED_LANGUAGES[language].join(", ")}`);
  const metadata = raw.metadata;
  const category = isObject(metadata) ? metadata.category : undefined;
  if (typeof category !== "string" || !(ruleCategories as readonly string[]).includes(category)) throw new Error(`${where}: metadata.category must be a rule category`);
  const severity = raw.severity;
  if (typeof severity !== "string" || !SEVERITIES.has(severity as Severity)) throw new Error(`${where}: severity must be low, medium, high or critical`);
  if (typeof raw.message !== "string" || raw.message.trim() === "") throw new Error(`${where}: message is missing`);
  if (!isObject(raw.rule)) throw new Error(`${where}: rule is missing`);
  checkRegexes(raw, where);

  const utils = isObject(raw.utils) ? raw.utils : {};
  const wrap = (value: Json): Json => orderRule(language === "php" ? wrapPhpPatterns(value) : value);
  const config: NapiConfig = { rule: wrap(raw.rule) as NapiConfig["rule"] };
  if (isObject(raw.constraints)) config.constraints = mapValues(raw.constraints, wrap) as NapiConfig["constraints"];
  if (isObject(raw.utils)) config.utils = mapValues(raw.utils, wrap) as NapiConfig["utils"];
  return {
    id,
    language,
    category: category as RuleCategory,
    severity: severity as Severity,
    message: raw.message.trim().replace(/\s+/g, " "),
    config,
    words: requiredWords(raw.rule, utils, new Set()),
    source,
  };
}

/**
 * Regexes in rules stay ASCII and free of Unicode classes: Rust's regex compiles \w, \d, \s, \b
 * and \p{..} to large Unicode automata, and napi compiles a rule every time it runs.
 */
function checkRegexes(value: unknown, where: string) {
  if (Array.isArray(value)) for (const item of value) checkRegexes(item, where);
  else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key === "regex") {
        if (typeof item !== "string") throw new Error(`${where}: regex must be a string`);
        if (/[^\x20-\x7e]/.test(item) || /\\[wWdDsSbBpP]/.test(item)) throw new Error(`${where}: regex must be ASCII without \\w, \\d, \\s, \\b or \\p classes`);
      } else checkRegexes(item, where);
    }
  }
}

function mapValues(object: Record<string, Json>, f: (value: Json) => Json): Record<string, Json> {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, f(value)]));
}

/**
 * The checks of one rule object, cheapest first. ast-grep does not promise an order among the keys
 * of a rule object, only within `all`; a regex or an unbounded has/inside tried on every node of a
 * deeply nested expression (a 1 MB chain of "a + b + ...") costs the square of its size, so each
 * rule object with several checks becomes an `all` in this order, and the cheap structural checks
 * rule most nodes out before the costly ones run. `field` and `stopBy` belong to the relation the
 * object is the body of, and stay where they are.
 */
const CHECK_ORDER = ["kind", "pattern", "matches", "has", "any", "all", "regex", "follows", "precedes", "inside", "not"];

function orderRule(value: Json): Json {
  if (Array.isArray(value)) return value.map(orderRule);
  if (!isObject(value)) return value;
  const out: Record<string, Json> = {};
  const checks: Record<string, Json>[] = [];
  for (const [key, item] of Object.entries(value)) {
    const ordered = key === "regex" || key === "kind" || key === "pattern" || key === "matches" ? item : orderRule(item);
    if (key === "field" || key === "stopBy" || (!CHECK_ORDER.includes(key) && key !== "nthChild")) out[key] = ordered;
    else checks.push({ [key]: ordered });
  }
  if (checks.length <= 1) return { ...out, ...(checks[0] ?? {}) };
  checks.sort((a, b) => costOf(a) - costOf(b));
  return { ...out, all: checks };
}

/**
 * A rough cost of checking one node against a rule: the checks that fail fast on most nodes (kind,
 * a first-level has) are cheap; a regex reads the node's whole text; nthChild, inside, follows
 * and precedes look up parents, which tree-sitter finds by walking down from the root, O(depth);
 * an unbounded relation walks a subtree or every ancestor. A rule object costs its cheapest check
 * plus a little of the rest (the rest runs only when that one passes); `any` costs all its parts.
 */
function costOf(rule: Json): number {
  if (!isObject(rule)) return 0;
  const costs: number[] = [];
  for (const [key, body] of Object.entries(rule)) {
    if (key === "kind") costs.push(1);
    else if (key === "pattern") costs.push(2);
    else if (key === "matches") costs.push(5);
    else if (key === "regex") costs.push(40);
    else if (key === "nthChild") costs.push(30);
    else if (key === "any") costs.push(Array.isArray(body) ? body.reduce<number>((sum, part) => sum + costOf(part), 0) : 0);
    else if (key === "all") costs.push(Array.isArray(body) ? combine(body.map(costOf)) : 0);
    else if (key === "not") costs.push(costOf(body) + 1);
    else if (key === "has" || key === "inside" || key === "follows" || key === "precedes") {
      const unbounded = isObject(body) && body.stopBy !== undefined && body.stopBy !== "neighbor";
      const upward = key !== "has";
      costs.push((unbounded ? 100 : 2) + (upward ? 30 : 0) + costOf(body));
    }
  }
  return combine(costs);
}

function combine(costs: number[]): number {
  if (costs.length === 0) return 0;
  const cheapest = Math.min(...costs);
  return cheapest + 0.1 * (costs.reduce((a, b) => a + b, 0) - cheapest);
}

/** PHP patterns parse only after "<?php": a string pattern becomes a context with a selector. */
function wrapPhpPatterns(value: Json): Json {
  if (Array.isArray(value)) return value.map(wrapPhpPatterns);
  if (!isObject(value)) return value;
  const out: Record<string, Json> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === "pattern" && typeof item === "string") out[key] = phpPattern(item);
    else out[key] = wrapPhpPatterns(item);
  }
  return out;
}

function phpPattern(pattern: string): Json {
  const context = `<?php ${pattern}${/[;}]\s*$/.test(pattern) ? "" : ";"}`;
  const root = parse("php", context).root();
  const statement = root.children().find((child) => child.kind() !== "php_tag");
  if (!statement) throw new Error(`PHP pattern does not parse: ${pattern}`);
  // An expression pattern selects the expression, a statement pattern the statement.
  const node = statement.kind() === "expression_statement" ? (statement.children()[0] ?? statement) : statement;
  return { context, selector: node.kind() };
}

/**
 * Words a hunk must contain (compared in lower case) for a rule to match there: a pattern needs
 * every identifier it spells, a regex the literal text every match of it contains (regexNeeds),
 * `all` any one of its parts' needs, `any` one of each alternative's; has/inside/follows/precedes
 * need their node in the hunk too. Null means the rule cannot be narrowed this way (a bare kind,
 * a negation) and always runs. Of several needs, the one with the longest shortest word is kept.
 */
function requiredWords(rule: Json, utils: Record<string, Json>, seen: Set<string>): string[] | null {
  if (!isObject(rule)) return null;
  const needs: string[][] = [];
  if (typeof rule.pattern === "string") {
    const words = patternWords(rule.pattern);
    if (words.length > 0) needs.push([words.reduce((a, b) => (b.length > a.length ? b : a)).toLowerCase()]);
  }
  if (typeof rule.regex === "string") {
    const words = regexNeeds(rule.regex);
    if (words) needs.push(words);
  }
  for (const key of ["has", "inside", "follows", "precedes"]) {
    const words = requiredWords(rule[key], utils, seen);
    if (words) needs.push(words);
  }
  if (Array.isArray(rule.all)) {
    for (const part of rule.all) {
      const words = requiredWords(part, utils, seen);
      if (words) needs.push(words);
    }
  }
  if (Array.isArray(rule.any)) {
    const alternatives = rule.any.map((part) => requiredWords(part, utils, seen));
    if (alternatives.every((words) => words !== null)) needs.push([...new Set(alternatives.flat() as string[])]);
  }
  if (typeof rule.matches === "string" && !seen.has(rule.matches) && rule.matches in utils) {
    const words = requiredWords(utils[rule.matches], utils, new Set([...seen, rule.matches]));
    if (words) needs.push(words);
  }
  return bestNeed(needs);
}

function bestNeed(needs: string[][]): string[] | null {
  let best: string[] | null = null;
  let bestScore = 0;
  for (const need of needs) {
    const shortest = Math.min(...need.map((w) => w.length));
    const score = shortest - need.length / 1000;
    if (need.length > 0 && shortest >= 2 && score > bestScore) {
      best = need;
      bestScore = score;
    }
  }
  return best;
}

/** Identifiers of three or more characters that a pattern spells out (metavariables aside). */
function patternWords(pattern: string): string[] {
  const words: string[] = [];
  for (const match of pattern.matchAll(/(\$*)([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (match[1] === "" && match[2].length >= 3) words.push(match[2]);
  }
  return words;
}

/**
 * Literal text (lower case) one of which every match of a regex contains, or null when the regex
 * is outside the simple subset read here: literals, escapes, one-character classes such as [.],
 * groups with alternatives, anchors and quantifiers. Anything else ends a literal run, so the
 * result is always safe: it may require less than the regex does, never more.
 */
export function regexNeeds(source: string): string[] | null {
  let pos = 0;
  const MAX_SET = 64;
  type Info = { exact: string[] | null; need: string[] | null };

  function alternation(): Info {
    const alternatives: Info[] = [sequence()];
    while (source[pos] === "|") {
      pos++;
      alternatives.push(sequence());
    }
    if (alternatives.length === 1) return alternatives[0];
    const exact = alternatives.every((a) => a.exact) ? [...new Set(alternatives.flatMap((a) => a.exact!))] : null;
    const need = alternatives.every((a) => a.need) ? [...new Set(alternatives.flatMap((a) => a.need!))] : null;
    return { exact: exact && exact.length <= MAX_SET ? exact : null, need: need && need.length <= MAX_SET ? need : null };
  }

  function sequence(): Info {
    const needs: string[][] = [];
    let run: string[] | null = [""];
    let allExact = true;
    const endRun = () => {
      if (run && run.some((w) => w.length > 0)) needs.push(run);
      run = [""];
    };
    while (pos < source.length && source[pos] !== "|" && source[pos] !== ")") {
      const atom = atomAt();
      const quantifier = source[pos];
      let optional = false;
      let repeated = false;
      if (quantifier === "*" || quantifier === "?") {
        optional = true;
        pos++;
      } else if (quantifier === "+") {
        repeated = true;
        pos++;
      } else if (quantifier === "{") {
        const close = source.indexOf("}", pos);
        const min = Number(source.slice(pos + 1, close).split(",")[0]);
        optional = !(min >= 1);
        repeated = true;
        pos = close + 1;
      }
      if (pos < source.length && source[pos] === "?" && (optional || repeated)) pos++;
      if (atom.need && !optional) needs.push(atom.need);
      if (optional) {
        allExact = false;
        endRun();
      } else if (atom.exact && run) {
        const next: string[] = [];
        for (const a of run) for (const b of atom.exact) next.push(a + b);
        run = next.length <= MAX_SET ? next : null;
        if (!run) run = [""];
        if (repeated) {
          allExact = false;
          endRun();
        }
      } else {
        allExact = false;
        endRun();
      }
    }
    const exact = allExact && run ? run : null;
    endRun();
    return { exact, need: bestNeed(needs) };
  }

  function atomAt(): Info {
    const c = source[pos];
    if (c === "^" || c === "$") {
      pos++;
      return { exact: [""], need: null };
    }
    if (c === "(") {
      pos++;
      if (source[pos] === "?") {
        // (?:...) groups read like plain ones; flags such as (?i) only widen the match.
        const close = source.slice(pos).search(/[:)]/) + pos;
        const isGroup = source[close] === ":";
        pos = close + 1;
        if (!isGroup) return { exact: [""], need: null };
      }
      const inner = alternation();
      pos++; // ")"
      return inner;
    }
    if (c === "[") {
      let end = pos + 1;
      if (source[end] === "^") end++;
      if (source[end] === "]") end++;
      while (end < source.length && source[end] !== "]") end += source[end] === "\\" ? 2 : 1;
      const body = source.slice(pos + 1, end);
      pos = end + 1;
      const single = body.length === 1 && body !== "^" ? body : /^\\[^A-Za-z0-9]$/.test(body) ? body[1] : null;
      return single ? { exact: [single.toLowerCase()], need: [single.toLowerCase()] } : { exact: null, need: null };
    }
    if (c === "\\") {
      const e = source[pos + 1];
      pos += 2;
      if (/[A-Za-z0-9]/.test(e)) return { exact: null, need: null };
      return { exact: [e.toLowerCase()], need: [e.toLowerCase()] };
    }
    pos++;
    if (c === ".") return { exact: null, need: null };
    return { exact: [c.toLowerCase()], need: [c.toLowerCase()] };
  }

  try {
    const info = alternation();
    if (pos !== source.length) return null;
    const need = bestNeed([...(info.exact ? [info.exact] : []), ...(info.need ? [info.need] : [])]);
    return need;
  } catch {
    return null;
  }
}

let loaded: Map<StructuralLanguage, StructuralRule[]> | null = null;

/** The rules of each language, read on first use. */
export function structuralRules(): Map<StructuralLanguage, StructuralRule[]> {
  if (!loaded) {
    const byLanguage = new Map<StructuralLanguage, StructuralRule[]>();
    for (const rule of loadStructuralRules()) {
      const list = byLanguage.get(rule.language) ?? [];
      list.push(rule);
      byLanguage.set(rule.language, list);
    }
    loaded = byLanguage;
  }
  return loaded;
}

// ---------------------------------------------------------------------------------------------
// Running the rules on a file
// ---------------------------------------------------------------------------------------------

/**
 * ast-grep compiles a rule each time it runs (napi has no compiled handle), which costs up to a
 * millisecond per rule; a file with thousands of hunks would pay that thousands of times. Past
 * this many hunks, consecutive hunks are parsed together (a blank line between them), so the rules
 * run at most this many times per file.
 */
export const MAX_PARSES_PER_FILE = 48;

/**
 * What one parse may read. Tree-sitter's error recovery is slow on junk (600 KB of "x\0" took
 * 3.5 s, and a parse cannot be interrupted), so a longer line or segment is not parsed: the file
 * is listed as not checked by ast-grep, which escalates. The line rules still read it.
 */
export const MAX_PARSE_LINE_CHARS = 64 * 1024;
export const MAX_PARSE_CHARS = 1024 * 1024;

interface SegmentLine {
  /** The new-file line, or null for the blank line between two hunks parsed together. */
  newLine: number | null;
  added: boolean;
  content: string;
}

/** The new side of each hunk with an added line, grouped so there are at most MAX_PARSES_PER_FILE. */
function segmentsOf(view: FileView): SegmentLine[][] {
  const hunks = view.file.hunks
    .map((h) => h.lines.filter((l) => l.kind !== "del").map((l) => ({ newLine: l.newLine, added: l.kind === "add", content: l.content })))
    .filter((lines) => lines.some((l) => l.added));
  const perSegment = Math.ceil(hunks.length / MAX_PARSES_PER_FILE);
  const segments: SegmentLine[][] = [];
  for (let i = 0; i < hunks.length; i += perSegment) {
    const segment: SegmentLine[] = [];
    for (const hunk of hunks.slice(i, i + perSegment)) {
      if (segment.length > 0) segment.push({ newLine: null, added: false, content: "" });
      for (const line of hunk) segment.push(line);
    }
    segments.push(segment);
  }
  return segments;
}

/**
 * The whole head file as one segment, when the repository was readable: rules then see each added
 * line inside its complete function and file, not a fragment (still reported on added lines only).
 */
function wholeFileSegment(view: FileView): SegmentLine[] | null {
  const head = view.source?.head;
  if (!head) return null;
  const added = new Set(view.added.map((l) => l.line));
  return head.split("\n").map((content, i) => ({ newLine: i + 1, added: added.has(i + 1), content }));
}

export function detectStructurally(view: FileView): RuleFinding[] {
  if (view.isTest || view.isDoc) return [];
  const language = languageOfPath(view.path);
  if (!language) return [];
  const rules = structuralRules().get(language) ?? [];
  if (rules.length === 0) return [];

  const findings: RuleFinding[] = [];
  const reported = new Set<string>();
  const whole = wholeFileSegment(view);
  for (const lines of whole ? [whole] : segmentsOf(view)) {
    // A whole PHP file opens its own <?php; a hunk gets one put before it.
    const prefixed = language === "php" && !(whole && /^\s*<\?php/.test(whole[0]?.content ?? ""));
    const offset = prefixed ? 1 : 0;
    // NUL becomes a space (same length, same positions): some grammars read NUL as the end of input,
    // which would hide what follows it from every rule.
    const text = ((prefixed ? PHP_OPEN : "") + lines.map((l) => l.content).join("\n")).replaceAll("\0", " ");
    const lower = text.toLowerCase();
    const applicable = rules.filter((rule) => rule.words === null || rule.words.some((word) => lower.includes(word)));
    if (applicable.length === 0) continue;
    const longest = lines.reduce((max, l) => Math.max(max, l.content.length), 0);
    if (longest > MAX_PARSE_LINE_CHARS || text.length > MAX_PARSE_CHARS) {
      throw new Error(`ast-grep does not parse ${longest > MAX_PARSE_LINE_CHARS ? `a line of ${Math.round(longest / 1024)} KB` : `${Math.round(text.length / 1024)} KB of changes at once`}; a person should read this file`);
    }

    let root: SgNode;
    try {
      root = parse(parserOf(language), text).root();
    } catch (error) {
      throw new Error(`ast-grep could not parse the ${language} hunk at new line ${lines[0].newLine}: ${shortError(error)}`);
    }
    // Fragment line i + offset is lines[i]; nextAdded[i] is the first added line at or after i.
    const nextAdded = new Array<number>(lines.length + 1);
    nextAdded[lines.length] = Infinity;
    for (let i = lines.length - 1; i >= 0; i--) nextAdded[i] = lines[i].added ? i : nextAdded[i + 1];
    for (const rule of applicable) {
      let nodes: SgNode[];
      try {
        nodes = root.findAll(rule.config);
      } catch (error) {
        throw new Error(`ast-grep rule ${rule.id} failed: ${shortError(error)}`);
      }
      for (const node of nodes) {
        const range = node.range();
        let last = range.end.line;
        if (range.end.column === 0 && last > range.start.line) last--;
        const first = nextAdded[Math.min(Math.max(range.start.line - offset, 0), lines.length)];
        if (first > last - offset) continue;
        const line = lines[first].newLine!;
        const key = `${rule.id}\u0000${line}`;
        if (reported.has(key)) continue;
        reported.add(key);
        findings.push(finding(rule.category, rule.id, rule.severity, view.path, line, rule.message));
      }
    }
  }
  return findings;
}

function shortError(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ");
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
