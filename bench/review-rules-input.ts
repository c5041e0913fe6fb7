/**
 * The review engines on input written to stall them (issue #16's "linear time"): one added line of
 * 1 MB, and a 5 MB diff of many files, each next to a baseline measured in the same run.
 *  - Every engine is timed on its own, and all of them together as a review runs them.
 *  - Baseline 1: parsing the same diff (what any review must do anyway), and the rules floor as it
 *    was before the engines (Flowgate's own line rules alone).
 *  - Baseline 2: the literal-assignment pattern the rules used before this fix, on lines of
 *    10k, 20k and 40k characters, to show its quadratic growth (a 1 MB line ran for tens of minutes).
 *  - A growth check: a line made of one token the rules look for (SELECT, spawn(, sk-, a quote,
 *    export function ...), repeated to 80k and to 320k characters: linear rules take about 4 times
 *    as long for 4 times the input; the worst ratios are printed.
 * Prints figures; asserts nothing.
 *
 *   node --import tsx bench/review-rules-input.ts
 */
import { lineRules, REVIEW_ENGINES } from "../agents/review/engines";
import { runReviewRules } from "../agents/review/rules";
import { parseUnifiedDiff } from "../lib/diff/unified-diff";

const say = (line: string) => process.stdout.write(`${line}\n`);
const OLD_LITERAL_ASSIGNMENT = /(["']?)([A-Za-z_$][\w$-]*)\1\s*(?::=|[:=])\s*(["'`])([^"'`]*)\3/g;

const oneDeletedLineDiff = (line: string) => `diff --git a/src/guard.js b/src/guard.js\n--- a/src/guard.js\n+++ b/src/guard.js\n@@ -1,2 +1,1 @@\n ok\n-${line}\n`;
const oneLineDiff = (line: string) => `diff --git a/src/bundle.js b/src/bundle.js\n--- a/src/bundle.js\n+++ b/src/bundle.js\n@@ -1,1 +1,2 @@\n ok\n+${line}\n`;

/** A 5 MB diff of 250 files: ordinary-looking source lines, with a few risky ones among them. */
function largeDiff(bytes: number): string {
  const files: string[] = [];
  let size = 0;
  for (let f = 0; size < bytes; f++) {
    const lines = [`diff --git a/src/module${f}.ts b/src/module${f}.ts`, `--- a/src/module${f}.ts`, `+++ b/src/module${f}.ts`, "@@ -1,0 +1,400 @@"];
    for (let i = 0; i < 400; i++) {
      lines.push(i % 97 === 0 ? `+  const rows = await db.query("SELECT * FROM t WHERE id = " + req.params.id${i});` : `+  const value${i} = compute(input${i}, { weight: ${i}, label: "item ${i}" }); // step ${i}`);
    }
    const text = lines.join("\n") + "\n";
    files.push(text);
    size += text.length;
  }
  return files.join("");
}

const ms = (value: number, width = 7) => `${value.toFixed(0)} ms`.padStart(width);

async function time(what: () => unknown): Promise<number> {
  const started = performance.now();
  await what();
  return performance.now() - started;
}

// Tokens from the rules' own patterns, and characters that open or nest.
const GROWTH_TOKENS = ["SELECT ", "select ", "UPDATE ", "DELETE FROM", "INSERT INTO ", "WHERE ", "${a}", '"+a', 'a+"', 'f"{', '" % a', '".format(', "Sprintf(", "exec(", "spawn(", "shell: true", "subprocess.run(", "eval(", "password=", "token: '", "sk-", "sk-ant-", "ghp_", "xoxb-", "AKIA", "-----BEGIN ", "new A", "Client(", "import ", "from '", "require('", "https://a.", "app.get('/", "export ", "export function f(", "export const a = (", "module.exports.", "def f(", "class ", "ALTER TABLE ", "DROP TABLE ", "drop_table ", "model A {", "isAdmin", "@login_required", "// ", "'", "`", '"', "\\\"", "<", "(", "{", "a", "a.", "$", "query(", "cursor."];

async function growth(): Promise<{ token: string; small: number; large: number }[]> {
  const rows: { token: string; small: number; large: number }[] = [];
  for (const token of GROWTH_TOKENS) {
    const times: number[] = [];
    for (const n of [80_000, 320_000]) {
      const line = token.repeat(Math.ceil(n / token.length));
      const diff = `diff --git a/src/x.py b/src/x.py\n--- a/src/x.py\n+++ b/src/x.py\n@@ -1,1 +1,2 @@\n ok\n+${line}\n-${line}\n`;
      const parsed = parseUnifiedDiff(diff);
      times.push(await time(() => runReviewRules(parsed)));
    }
    rows.push({ token, small: times[0], large: times[1] });
  }
  return rows;
}

async function main() {
  say(`review rules on hostile input, Node ${process.version}`);
  const inputs: [string, string][] = [
    ["1 MB identifier-like line", oneLineDiff("a".repeat(1024 * 1024))],
    ["1 MB minified-JS-like line", oneLineDiff("var a=function(b){return b.c+\"d\"};".repeat(30_000))],
    ["1 MB line of unclosed quotes", oneLineDiff("'\\".repeat(512 * 1024))],
    ["1 MB line of credential words", oneLineDiff("apiKey=token;secret:password,".repeat(36_000))],
    ["1 MB deleted line of guard words", oneDeletedLineDiff("if (!isAuthorized(user) || x) throw new Error('denied');".repeat(19_000))],
    ["5 MB diff of many files", largeDiff(5 * 1024 * 1024)],
  ];
  // Each engine compiles its rule set once per process; measured apart so the first row is not charged with it.
  const load = await time(() => runReviewRules(parseUnifiedDiff(oneLineDiff("const x = 1;"))));
  say(`  loading and compiling every rule set once: ${load.toFixed(0)} ms`);
  say(`  ${"input".padEnd(32)} ${"parse".padStart(7)} ${"all engines".padStart(12)} ${"old rules".padStart(10)}   ${REVIEW_ENGINES.map((e) => e.name).join(" / ")}`);
  for (const [label, diff] of inputs) {
    const parse = await time(() => parseUnifiedDiff(diff));
    const parsed = parseUnifiedDiff(diff);
    const all = await time(() => runReviewRules(parsed));
    const old = await time(() => runReviewRules(parsed, { engines: [lineRules] }));
    const each: string[] = [];
    for (const engine of REVIEW_ENGINES) each.push((await time(() => runReviewRules(parsed, { engines: [engine] }))).toFixed(0));
    const target = label.startsWith("5 MB") ? "< 10000" : "< 2000";
    say(`  ${label.padEnd(32)} ${ms(parse)} ${ms(all, 12)} ${ms(old, 10)}   ${each.join(" / ")} ms   (target ${target} ms)`);
  }
  const rows = (await growth()).sort((a, b) => b.large / Math.max(b.small, 1) - a.large / Math.max(a.small, 1));
  say("");
  say(`growth check: ${rows.length} tokens, each repeated to 80k and 320k characters on one added and one deleted line (linear: about 4x)`);
  for (const row of rows.slice(0, 3)) say(`  worst: ${JSON.stringify(row.token).padEnd(20)} ${row.small.toFixed(0).padStart(4)} ms -> ${row.large.toFixed(0).padStart(5)} ms`);
  say(`  slowest 320k line: ${Math.max(...rows.map((r) => r.large)).toFixed(0)} ms`);
  say("");
  say("the literal-assignment pattern before the fix, alone, on one identifier-like line:");
  for (const n of [10_000, 20_000, 40_000]) {
    const line = "a".repeat(n);
    const before = await time(() => [...line.matchAll(OLD_LITERAL_ASSIGNMENT)]);
    const after = await time(() => runReviewRules(parseUnifiedDiff(oneLineDiff(line))));
    say(`  ${String(n).padStart(6)} characters: old pattern ${before.toFixed(0).padStart(6)} ms   all of today's rules ${after.toFixed(0).padStart(4)} ms`);
  }
}

await main();
