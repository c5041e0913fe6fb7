/**
 * Line rules for SQL, command and code injection: a query keyword or a shell/eval call on an added
 * line that also splices a value into a string. Language-agnostic text rules; the structural
 * engine (ast-grep) reads the same risks from syntax trees per language.
 */
import type { RuleFinding } from "../../../lib/review/review-output";
import { codeLines, isCommentLine, newSideLines, type FileView, type NewSideLine } from "../file-view";
import { finding } from "../finding";
import { followedBy, interpolationKind, sigilInterpolation, withoutStringContents } from "../line-text";

// Upper-case keywords are how SQL is written inside code. Lower-case only counts on a line that
// also calls a query API, so prose such as "select a file from " + dir does not fire.
// "SELECT ... FROM" is two searches, the second after the first keyword, never one `.*` pattern:
// that rescans the rest of the line from every SELECT (quadratic on "SELECT SELECT SELECT ...").
const sqlUpper = (content: string) =>
  followedBy(content, /\bSELECT\b/, /\bFROM\b/) || followedBy(content, /\bUPDATE\b/, /\bSET\b/) || /\b(?:INSERT\s+INTO|DELETE\s+FROM|WHERE)\b/.test(content);
const sqlAnyCase = (content: string) =>
  followedBy(content, /\bselect\b/i, /\bfrom\b/i) || followedBy(content, /\bupdate\b/i, /\bset\b/i) || /\b(?:insert\s+into|delete\s+from|where)\b/i.test(content);
/**
 * A string that holds an SQL clause in upper case, as queries assembled over several lines do
 * (`sql += " AND name = '" + name + "'"`, `where = f" WHERE id = {id}"`): the SELECT is elsewhere.
 * The keyword must be inside a string literal, so `a AND b` in code or prose without quotes does
 * not count; the interpolation check below still has to pass.
 */
const SQL_CLAUSE_IN_STRING = /["'`][^"'`]{0,200}\b(?:AND|OR|WHERE|ORDER BY|GROUP BY|HAVING|LIMIT|OFFSET|VALUES|JOIN|LIKE|IN \()\s/;
const QUERY_CALL = /\.(?:query|execute|executemany|raw|exec)\s*\(|->(?:do|prepare|execute|query|select\w*)\s*\(|\$(?:query|execute)RawUnsafe|\bcursor\b|\bsql\b/i;

/**
 * Tagged templates (sql`...`, Prisma's $queryRaw`...`) turn every ${} into a bound parameter,
 * so interpolation inside them is the safe, parameterized form. A type argument may sit between
 * the tag and the backtick: $queryRaw<Row[]>`...`.
 */
const SAFE_TAGGED_TEMPLATE = /(?:\bsql|\$queryRaw|\$executeRaw|Prisma\.sql)(?:\s*<[^`]*>)?\s*`/;

export function detectSqlInjection(view: FileView): RuleFinding[] {
  // Test code builds throwaway SQL (DROP DATABASE ${name}) and takes no untrusted input.
  if (view.isDoc || view.isTest) return [];
  const newSide = newSideLines(view.file);
  const findings: RuleFinding[] = [];
  newSide.forEach((entry, index) => {
    if (entry.kind !== "add" || isCommentLine(entry.content)) return;
    const { content } = entry;
    const isSql = sqlUpper(content) || (sqlAnyCase(content) && QUERY_CALL.test(content)) || SQL_CLAUSE_IN_STRING.test(content);
    if (!isSql) return;
    const kind = interpolationKind(content) ?? sigilInterpolation(content, view.path);
    if (!kind) return;
    if (kind === "template interpolation" && insideSafeTaggedTemplate(newSide, index)) return;
    findings.push(
      finding("sql_injection", "sql.string-built-query", "high", view.path, entry.line, `SQL built with ${kind}; pass values as bound parameters ($1, ?, :name) instead.`),
    );
  });
  return findings;
}

/** How far up a multi-line template literal may have opened. */
const TEMPLATE_LOOKBACK_LINES = 20;

/** Whether the template literal holding the first ${} of line `index` was opened with a safe tag. */
function insideSafeTaggedTemplate(lines: NewSideLine[], index: number): boolean {
  // Only the text before the ${} can open the template: a backtick after it closes it.
  const before = lines[index].content.slice(0, lines[index].content.indexOf("${"));
  if (before.includes("`")) return SAFE_TAGGED_TEMPLATE.test(before);
  // Otherwise the nearest backtick above opens it (multi-line SQL is common).
  for (let i = index - 1; i >= 0 && i >= index - TEMPLATE_LOOKBACK_LINES; i--) {
    if (lines[i].content.includes("`")) return SAFE_TAGGED_TEMPLATE.test(lines[i].content);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Command and code injection
// ---------------------------------------------------------------------------------------------

interface CommandPattern {
  rule: string;
  what: string;
  /** A RegExp, or a linear test where one pattern would rescan the line (see followedBy). */
  pattern: { test(code: string): boolean };
  /** Fires only when the line also splices a value into the command. */
  needsInterpolation: boolean;
}

const COMMAND_PATTERNS: CommandPattern[] = [
  // Not preceded by "." or a word character: model.eval() and redis.eval() are unrelated methods.
  { rule: "exec.eval", what: "eval() runs a string as code", pattern: /(?<![.\w$])eval\s*\(/, needsInterpolation: false },
  { rule: "exec.new-function", what: "new Function() compiles a string as code", pattern: /\bnew\s+Function\s*\(/, needsInterpolation: false },
  // child_process.exec / execSync run through a shell. Bare exec( must not be RegExp#exec, hence
  // the lookbehind; either form only fires when the command string is assembled from values.
  {
    rule: "exec.child-process",
    what: "a shell command built from values (child_process exec)",
    pattern: /(?:\b(?:child_process|childProcess|cp)\.exec(?:Sync)?|(?<![.\w$])exec(?:Sync)?)\s*\(/,
    needsInterpolation: true,
  },
  { rule: "exec.os-system", what: "os.system() runs a shell command", pattern: /\bos\.(?:system|popen)\s*\(/, needsInterpolation: false },
  {
    rule: "exec.subprocess-shell",
    what: "subprocess with shell=True",
    pattern: { test: (code) => followedBy(code, /\bsubprocess\.\w+\s*\(/, /\bshell\s*=\s*True/) },
    needsInterpolation: false,
  },
  {
    rule: "exec.spawn-shell",
    what: "a process spawned with shell: true",
    pattern: { test: (code) => followedBy(code, /\bspawn(?:Sync)?\s*\(/, /\bshell\s*:\s*true/) },
    needsInterpolation: false,
  },
];

export function detectCommandInjection(view: FileView): RuleFinding[] {
  if (view.isDoc || view.isTest) return [];
  const findings: RuleFinding[] = [];
  for (const { line, content } of codeLines(view.added)) {
    const code = withoutStringContents(content);
    for (const { rule, what, pattern, needsInterpolation } of COMMAND_PATTERNS) {
      if (!pattern.test(code)) continue;
      if (needsInterpolation && !interpolationKind(content)) continue;
      findings.push(finding("command_injection", rule, "high", view.path, line, `Possible code or command injection: ${what}; avoid it or pass arguments without a shell.`));
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Perl: no structural parser is available for it, so its two classic injection forms are read
// from the line.
// ---------------------------------------------------------------------------------------------

const PERL_FILE = /\.(?:pl|pm|PL|cgi|psgi)$/;

/**
 * Two-argument open of a variable: `open(FH, $name)` reads a mode from the name itself, so a
 * name such as "rm -rf ~|" runs a shell command. The three-argument form `open(FH, '<', $name)`
 * does not. A bareword or variable handle, then exactly one more argument that is a variable.
 */
const PERL_TWO_ARG_OPEN = /\bopen\s*\(?\s*(?:my\s+)?[$*]?\w+\s*,\s*[$@]\w+(?:->\{?\w+\}?)?\s*(?:\)|\|\||\bor\b|;|$)/;
/**
 * String eval: `eval $code` / `eval "..."` compiles text at run time; `eval { ... }` does not. A Safe
 * compartment's `->reval(...)` does too, and counts when its code is built from a variable.
 */
const PERL_STRING_EVAL = /(?<![\w$>])eval\s*\(?\s*[$"'q]/;
const isPerlStringEval = (content: string) => {
  if (PERL_STRING_EVAL.test(content)) return true;
  // One search for the call, one for a variable after it: linear however many calls the line has.
  const call = /->reval\s*\(/.exec(content);
  return call !== null && content.includes("$", call.index + call[0].length);
};

export function detectPerlInjection(view: FileView): RuleFinding[] {
  if (view.isDoc || view.isTest || !PERL_FILE.test(view.path)) return [];
  const findings: RuleFinding[] = [];
  for (const { line, content } of codeLines(view.added)) {
    if (PERL_TWO_ARG_OPEN.test(content)) {
      findings.push(finding("command_injection", "perl.two-argument-open", "high", view.path, line, "Two-argument open of a variable: a file name ending in \"|\" runs as a shell command; use open(FH, '<', $name)."));
    }
    if (isPerlStringEval(content)) {
      findings.push(finding("code_injection", "perl.string-eval", "high", view.path, line, "String eval compiles text as Perl code at run time; use a block eval or a dispatch table."));
    }
  }
  return findings;
}
