/**
 * The review rules on input written to stall them (issue #16's "linear time"): one added line of
 * 1 MB, and a 5 MB diff of many files, each next to a baseline measured in the same run.
 *  - Baseline 1: parsing the same diff (what any review must do anyway).
 *  - Baseline 2: the literal-assignment pattern the rules used before this fix, on lines of
 *    10k, 20k and 40k characters, to show its quadratic growth (a 1 MB line ran for tens of minutes).
 *  - A growth check: a line made of one token the rules look for (SELECT, spawn(, sk-, a quote,
 *    export function ...), repeated to 80k and to 320k characters: linear rules take about 4 times
 *    as long for 4 times the input; the worst ratios are printed.
 * Prints figures; asserts nothing.
 *
 *   node --import tsx bench/review-rules-input.ts
 */
import { runReviewRules } from "../agents/review/rules";
import { parseUnifiedDiff } from "../lib/diff/unified-diff";

const say = (line: string) => process.stdout.write(`${line}\n`);
const OLD_LITERAL_ASSIGNMENT = /(["']?)([A-Za-z_$][\w$-]*)\1\s*(?::=|[:=])\s*(["'`])([^"'`]*)\3/g;

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
  for (const [label, line] of [
    ["1 MB identifier-like line", "a".repeat(1024 * 1024)],
    ["1 MB minified-JS-like line", "var a=function(b){return b.c+\"d\"};".repeat(30_000)],
    ["1 MB line of unclosed quotes", "'\\".repeat(512 * 1024)],
  ] as const) {
    const diff = oneLineDiff(line);
    const parse = await time(() => parseUnifiedDiff(diff));
    const parsed = parseUnifiedDiff(diff);
    const rules = await time(() => runReviewRules(parsed));
    say(`  ${label.padEnd(30)} parse ${parse.toFixed(0).padStart(5)} ms   rules ${rules.toFixed(0).padStart(5)} ms   (target < 2000 ms)`);
  }
  const big = largeDiff(5 * 1024 * 1024);
  const parse = await time(() => parseUnifiedDiff(big));
  const parsed = parseUnifiedDiff(big);
  const rules = await time(() => runReviewRules(parsed));
  say(`  5 MB diff, ${parsed.files.length} files            parse ${parse.toFixed(0).padStart(5)} ms   rules ${rules.toFixed(0).padStart(5)} ms   (target < 10000 ms)`);
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
