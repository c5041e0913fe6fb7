import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { lineRules, REVIEW_ENGINES, type ReviewEngine } from "@/agents/review/engines";
import { bundledGitleaksRules, shannonEntropy } from "@/agents/review/engines/gitleaks";
import { readRepositorySources } from "@/agents/review/repository-sources";
import { runReviewRules, type ReviewRulesOptions } from "@/agents/review/rules";
import { parseUnifiedDiff } from "@/lib/diff/unified-diff";
import { evaluateReview } from "@/agents/review/evaluate-review";
import { reviewChange } from "@/agents/review/review-change";
import { defaultPolicyRules } from "@/lib/policy/policy-rules";
import { ruleIdOf, type RuleFinding } from "@/lib/review/review-output";
import { heuristicReview } from "@/agents/review/heuristic-review";
import { added, fileDiff } from "../support/diffs";

// Credentials are assembled at run time so this file holds no token a secret scanner would flag.
const AWS_ID = "AKIA" + "Z3MSJV4WWNKWW5FG";
const GITHUB = "ghp_" + "R4nd0mT0k3nV4lu3Xq8s9d7f6g5h4j3k2l1m";
const DB_URL = "postgres://admin:" + "S3cr3tPassw0rd" + "@db.internal:5432/app";

function engine(name: string): ReviewEngine {
  return REVIEW_ENGINES.find((e) => e.name === name)!;
}

async function review(diffs: string[], options?: ReviewRulesOptions) {
  return runReviewRules(parseUnifiedDiff(diffs.join("")), options);
}

const ids = (findings: RuleFinding[]) => findings.map(ruleIdOf);

describe("gitleaks engine", () => {
  const only = { engines: [engine("gitleaks")] };

  it("loads the vendored rule set: every rule compiles in the linear-time engine", () => {
    const rules = bundledGitleaksRules();
    expect(rules.rules.length).toBeGreaterThan(200);
    expect(rules.rules.filter((r) => r.regex === null && r.path === null)).toEqual([]);
  });

  it("finds a credential pair in a config object and names engine, rule and line, never the value", async () => {
    const report = await review([added("src/config.ts", ["export const aws = {", `  accessKeyId: "${AWS_ID}",`, `  token: "${GITHUB}",`, "};"])], only);
    expect(ids(report.findings)).toEqual(["gitleaks:aws-access-token", "gitleaks:github-pat"]);
    expect(report.findings.map((f) => f.line)).toEqual([2, 3]);
    for (const f of report.findings) expect(f.message).not.toContain(AWS_ID.slice(4));
  });

  it("reads only what the diff adds", async () => {
    const report = await review([fileDiff("src/config.ts", [`const token = "${GITHUB}";`], ["const token = process.env.TOKEN;"])], only);
    expect(report.findings).toEqual([]);
  });

  it("applies entropy thresholds and allowlists: low-entropy values and ${VAR} placeholders pass", async () => {
    const report = await review([added("src/config.ts", ['const apiKey = "aaaaaaaaaaaaaaaaaaaa";', 'const apiKey2 = "${API_KEY}";'])], only);
    expect(report.findings).toEqual([]);
    expect(shannonEntropy("aaaa")).toBe(0);
    expect(shannonEntropy("abcd")).toBe(2);
  });

  it("does not honour an inline allow comment from the pull request", async () => {
    const report = await review([added("src/config.ts", [`const token = "${GITHUB}"; // gitleaks:allow`])], only);
    expect(ids(report.findings)).toEqual(["gitleaks:github-pat"]);
  });

  it("skips the name-based generic rule in tests, not the shaped ones", async () => {
    const report = await review([added("test/config.test.ts", ['const apiKey = "3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c";', `const token = "${GITHUB}";`])], only);
    expect(ids(report.findings)).toEqual(["gitleaks:github-pat"]);
  });
});

describe("secretlint engine", () => {
  const only = { engines: [engine("secretlint")] };

  it("finds connection strings and AWS key IDs (its ID rule is switched on)", async () => {
    const report = await review([added("src/db.ts", [`const url = "${DB_URL}";`, `const id = "${AWS_ID}";`])], only);
    expect(ids(report.findings)).toEqual(["secretlint:database-connection-string/PostgreSQLConnection", "secretlint:aws/AWSAccessKeyID"]);
    for (const f of report.findings) expect(f.message).not.toContain("S3cr3t");
  });

  it("cannot be switched off by a comment in the diff", async () => {
    const report = await review([added("src/db.ts", ["// secretlint-disable", `const url = "${DB_URL}";`])], only);
    expect(ids(report.findings)).toEqual(["secretlint:database-connection-string/PostgreSQLConnection"]);
  });
});

describe("removed-guard engine", () => {
  const only = { engines: [engine("removed-guard")] };

  it("reports a deleted authorization check with no replacement, graded to escalate", async () => {
    const before = ["def delete_project(request, project):", "    if not request.user.has_perm('projects.delete', project):", "        raise PermissionDenied", "    project.delete()"];
    const after = ["def delete_project(request, project):", "    project.delete()"];
    const report = await review([fileDiff("app/views.py", before, after)], only);
    expect(ids(report.findings)).toContain("removed-guard:authorization");
    expect(report.findings.find((f) => f.rule === "authorization")).toMatchObject({ category: "auth_weakened", severity: "high", line: 2 });
    expect(report.riskFloor).toBeGreaterThanOrEqual(defaultPolicyRules.review.humanRiskThreshold);
  });

  it("does not report a guard that moved to another file of the diff", async () => {
    const report = await review(
      [
        fileDiff("src/routes.ts", ["router.post('/x', requirePermission('admin'), handler);"], ["router.post('/x', handler);"]),
        fileDiff("src/app.ts", ["app.use(router);"], ["app.use('/x', requirePermission('admin'));", "app.use(router);"]),
      ],
      only,
    );
    expect(report.findings).toEqual([]);
  });

  it("reports a deleted guard clause, and not one rewritten in the same edit", async () => {
    const guard = ["function load(name) {", "  if (name.includes('..')) {", "    throw new Error('bad name');", "  }", "  return read(name);", "}"];
    const removed = await review([fileDiff("src/load.js", guard, ["function load(name) {", "  return read(name);", "}"])], only);
    expect(ids(removed.findings)).toContain("removed-guard:guard-clause");
    const rewritten = await review([fileDiff("src/load.js", guard, ["function load(name) {", "  if (name.includes('..') || name.startsWith('/')) {", "    throw new Error('bad name');", "  }", "  return read(name);", "}"])], only);
    expect(rewritten.findings).toEqual([]);
  });

  it("reports a condition that lost a clause and a strict comparison made loose", async () => {
    const narrowed = await review([fileDiff("oci/user.go", ["if err != nil || v < minUID || v > maxUID {"], ["if err != nil {"])], only);
    expect(ids(narrowed.findings)).toEqual(["removed-guard:narrowed-condition"]);
    const loose = await review([fileDiff("lib/auth.php", ["return ($md5 === $hash);"], ["return ($md5 == $hash);"])], only);
    expect(loose.findings).toEqual([expect.objectContaining({ rule: "loose-comparison", category: "auth_weakened" })]);
  });

  it("reports a removed in-place numeric cast", async () => {
    const report = await review([fileDiff("src/Code.php", ["    $line = (int) $line;", "    return render($file, $line);"], ["    return render($file, $line);"])], only);
    expect(report.findings).toEqual([expect.objectContaining({ rule: "numeric-cast", category: "removed_safeguard", line: 1 })]);
  });

  it("reports a removed option terminator before user input", async () => {
    const report = await review([fileDiff("src/git.js", ["execFile('git', ['clone', '--', url, dir]);"], ["execFile('git', ['clone', url, dir]);"])], only);
    expect(report.findings).toEqual([expect.objectContaining({ rule: "option-terminator", category: "command_injection" })]);
  });

  it("reports an entry taken out of a deny-list, and not one moved within the diff", async () => {
    const before = ["func isOptionForbidden(key string) bool {", "	return contains(key, []string{", '		"raw.apparmor",', '		"raw.qemu",', "	})", "}"];
    const after = ["func isOptionForbidden(key string) bool {", "	return contains(key, []string{", '		"raw.qemu",', "	})", "}"];
    const removed = await review([fileDiff("shared/options.go", before, after)], only);
    expect(removed.findings).toEqual([expect.objectContaining({ rule: "deny-list-entry", line: 3, category: "removed_safeguard" })]);
    const allowed = ["var allowed = []string{", '	"png",', '	"gif",', "}"];
    const kept = await review([fileDiff("media/types.go", allowed, ["var allowed = []string{", '	"png",', "}"])], only);
    expect(kept.findings).toEqual([]);
  });

  it("ignores guards named only in comments and strings, and test files", async () => {
    const report = await review(
      [
        fileDiff("src/a.ts", ["// we authorize elsewhere", 'log("invalid input, permission denied");', "x = 1;"], ["x = 1;"]),
        fileDiff("test/a.test.ts", ["expect(authorize(user)).toBe(true);"], []),
      ],
      only,
    );
    expect(report.findings).toEqual([]);
  });
});

describe("removed-guard engine on re-indented code", () => {
  const only = { engines: [engine("removed-guard")] };

  it("pairs off whitespace-only changes, so a check deleted inside a re-indented block is a deletion", async () => {
    const before = ["switch ($tag) {", "  case 'img':", "    if ($src === '') {", "      break;", "    } elseif (strpos($src, '..') !== false) {", "      break;", "    }", "    $data = load($src);", "}"];
    const after = ["switch ($tag) {", "  case 'img':", "        if ($src === '') {", "          break;", "        }", "        $data = load($src);", "}"];
    const report = await review([fileDiff("lib/Pdf.php", before, after)], only);
    expect(ids(report.findings)).toContain("removed-guard:guard-clause");
    // Re-indenting alone removes nothing.
    const reindented = await review([fileDiff("lib/Pdf.php", before, before.map((l) => `  ${l}`))], only);
    expect(reindented.findings).toEqual([]);
  });
});

describe("logic-edit engine", () => {
  const only = { engines: [engine("logic-edit")] };
  const rulesOf = async (path: string, before: string[], after: string[]) => ids((await review([fileDiff(path, before, after)], only)).findings);

  it("reports an escape pair taken out of an escape table or a replace call, not one kept or moved", async () => {
    const table = ["$map = array(", "  '<' => '&lt;',", "  '\\'' => '\\\\\\'',", ");"];
    expect(await rulesOf("lib/Escape.php", table, ["$map = array(", "  '<' => '&lt;'", ");"])).toEqual(["logic-edit:escape-pair"]);
    expect(await rulesOf("lib/css.rb", ["  css.gsub!('</', '<\\/')", "  node << css"], ["  node << css"])).toEqual(["logic-edit:escape-pair"]);
    expect(await rulesOf("lib/Escape.php", table, ["$map = array('<' => '&lt;', '\\'' => '\\\\\\'');"])).toEqual([]);
  });

  it("reports a deleted test for a dangerous value: parent directory, CR/LF, prototype keys", async () => {
    expect(await rulesOf("src/files.py", ["def open_asset(name):", "    if '..' in name:", "        return None", "    return open(name)"], ["def open_asset(name):", "    return open(name)"])).toContain(
      "logic-edit:parent-directory-check",
    );
    expect(await rulesOf("src/merge.js", ["for (const key of Object.keys(src)) {", "  if (key === '__proto__') continue;", "  dst[key] = src[key];", "}"], ["for (const key of Object.keys(src)) {", "  dst[key] = src[key];", "}"])).toContain(
      "logic-edit:prototype-key-check",
    );
    expect(await rulesOf("src/headers.go", ["func set(v string) {", '\tif strings.ContainsAny(v, "\\r\\n") {', "\t\treturn", "\t}", "}"], ["func set(v string) {", "}"])).toContain("logic-edit:control-character-check");
  });

  it("reports a rejecting condition changed in place, and a decision flipped to allow", async () => {
    const check = ["function checkValue(b, q) {", "  if (b.cmp(q) >= 0) throw new Error('invalid')", "}"];
    expect(await rulesOf("lib/sig.js", check, ["function checkValue(b, q) {", "  if (b.cmp(q) >= q) throw new Error('invalid')", "}"])).toContain("logic-edit:rejecting-condition-changed");
    const decide = ["bool visible(String name) {", "  if (ALLOWED.contains(name)) {", "    return true;", "  }", "  return false;", "}"];
    expect(await rulesOf("src/Shutter.java", decide, [...decide.slice(0, 4), "  return true;", "}"])).toContain("logic-edit:decision-flipped-to-allow");
  });

  it("reports switches flipped on safeguards and phone-home settings, internal addresses removed", async () => {
    expect(await rulesOf("lib/client.py", ["def connect(url, verify_certs=True):"], ["def connect(url, verify_certs=False):"])).toContain("logic-edit:safeguard-switch");
    expect(await rulesOf("cli/options.py", ["opt = Option(", '    "--disable-update-check",', "    default=True,", ")"], ["opt = Option(", '    "--disable-update-check",', "    default=False,", ")"])).toEqual([
      "logic-edit:phone-home-switch",
    ]);
    expect(await rulesOf("lib/net.php", ["$blocked = [", "  '169.254.169.254',", "  '10.0.0.0/8',", "];"], ["$blocked = [", "  '10.0.0.0/8',", "];"])).toContain("logic-edit:internal-address-removed");
  });

  it("reports an edited condition inside a function named for a security decision, not in other functions", async () => {
    const allowed = ["def is_allowed_host(host):", "    if host in TRUSTED:", "        return True", "    return host.endswith('.corp')"];
    expect(await rulesOf("app/net.py", allowed, [allowed[0], "    return True"])).toContain("logic-edit:security-function-logic");
    const other = ["def total(items):", "    if not items:", "        return 0", "    return sum(items)"];
    expect(await rulesOf("app/sums.py", other, [other[0], "    return sum(items or [])"])).toEqual([]);
  });

  it("does not read test files or pure re-indentation", async () => {
    const allowed = ["def is_allowed_host(host):", "    if host in TRUSTED:", "        return True"];
    expect(await rulesOf("tests/test_net.py", allowed, [allowed[0]])).toEqual([]);
    expect(await rulesOf("app/net.py", allowed, allowed.map((l) => `  ${l}`))).toEqual([]);
  });
});

describe("Perl line rules", () => {
  const only = { engines: [lineRules] };

  it("flags two-argument open and string eval, not their safe forms", async () => {
    const report = await review(
      [added("lib/Config.pm", ["if (!open($fh, $thing)) { die }", "open(my $in, '<', $thing) or die;", "my $v = eval $code;", "eval { risky() };", "$safe->reval('sub{' . $rules->{$id} . '}');", "$safe->reval('1');"])],
      only,
    );
    expect(report.findings.filter((f) => f.category !== "untested_change").map((f) => [f.rule, f.line])).toEqual([
      ["perl.two-argument-open", 1],
      ["perl.string-eval", 3],
      ["perl.string-eval", 5],
    ]);
  });

  it("flags SQL spliced by Perl, PHP and Ruby interpolation, not bound parameters", async () => {
    const report = await review(
      [
        added("lib/Store.pm", ['my $rows = $dbh->selectall_arrayref("SELECT * FROM users WHERE name = \'$name\'");', 'my $ok = $dbh->selectall_arrayref("SELECT * FROM users WHERE name = ?", undef, $name);']),
        added("app/models/user.rb", ['User.find_by_sql("SELECT * FROM users WHERE name = \'#{name}\'")']),
      ],
      only,
    );
    expect(report.findings.filter((f) => f.category === "sql_injection").map((f) => [f.file, f.line])).toEqual([
      ["app/models/user.rb", 1],
      ["lib/Store.pm", 1],
    ]);
  });
});

describe("the orchestrator", () => {
  const throwing: ReviewEngine = {
    name: "broken",
    reviewFile: () => {
      throw new Error("parser crashed at \u001b[31mline 3\u001b[0m");
    },
  };

  it("lists what a failing engine did not check, cleaned, and the policy escalates", async () => {
    const diff = parseUnifiedDiff(added("README.md", ["Hello."]));
    const report = await runReviewRules(diff, { engines: [throwing] });
    expect(report.unreviewedFiles).toEqual([{ file: "README.md", engine: "broken", reason: "broken failed on this file: parser crashed at line 3" }]);
    const outcome = evaluateReview({ review: heuristicReview(diff, report, defaultPolicyRules.review), rules: report, policy: defaultPolicyRules }).outcome;
    expect(outcome.kind).toBe("escalate");
  });

  it("yields between files, so timers (the runner's heartbeat) run during a review", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const slow: ReviewEngine = {
      name: "slow",
      reviewFile: () => {
        const until = performance.now() + 5;
        while (performance.now() < until);
        return [];
      },
    };
    await review(Array.from({ length: 20 }, (_, i) => added(`src/f${i}.ts`, ["x"])), { engines: [slow] });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
  });

  it("keeps one finding where two engines report the same category on the same line", async () => {
    const report = await review([added("src/config.ts", [`const id = "${AWS_ID}";`])], { engines: REVIEW_ENGINES });
    expect(report.findings.filter((f) => f.category === "hardcoded_secret").map(ruleIdOf)).toEqual(["line-rules:secret.aws-access-key"]);
  });
});

describe("whole-file engines", () => {
  function repositoryWith(base: Record<string, string>, head: Record<string, string | null>): { dir: string; baseSha: string; headSha: string } {
    const dir = mkdtempSync(join(tmpdir(), "review-sources-"));
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir, encoding: "utf8" }).trim();
    git("init", "-q");
    const write = (files: Record<string, string | null>) => {
      for (const [path, text] of Object.entries(files)) {
        if (text === null) rmSync(join(dir, path));
        else {
          mkdirSync(dirname(join(dir, path)), { recursive: true });
          writeFileSync(join(dir, path), text);
        }
      }
      git("add", "-A");
      git("commit", "-q", "-m", "x");
      return git("rev-parse", "HEAD");
    };
    const baseSha = write(base);
    return { dir, baseSha, headSha: write(head) };
  }

  async function reviewRepository(base: Record<string, string>, head: Record<string, string | null>) {
    const repo = repositoryWith(base, head);
    const diffText = execFileSync("git", ["diff", repo.baseSha, repo.headSha], { cwd: repo.dir, encoding: "utf8" });
    const diff = parseUnifiedDiff(diffText);
    const sources = await readRepositorySources(repo.dir, repo.baseSha, repo.headSha, diff.files);
    rmSync(repo.dir, { recursive: true, force: true });
    return runReviewRules(diff, { engines: [engine("ts-morph"), engine("api-smart-diff")], sources });
  }

  it("compares a module's exports before and after: removed exports, breaking signatures, removed members", async () => {
    const base = "export function pay(amount: number, currency?: string): void {}\nexport function refund(id: string) {}\nexport interface Order {\n  id: string;\n  total: number;\n}\nexport const VERSION = 1;\n";
    const head = "export function pay(amount: number, currency: string): void {}\nexport function refund(id: string, reason?: string) {}\nexport interface Order {\n  id: string;\n}\n";
    const report = await reviewRepository({ "src/pay.ts": base }, { "src/pay.ts": head });
    expect(report.findings.map((f) => [ruleIdOf(f), f.line])).toEqual([
      ["ts-morph:signature-changed", 1],
      ["ts-morph:member-removed", 3],
      ["ts-morph:export-removed", 7],
    ]);
    expect(report.findings[0].message).toContain("makes the parameter currency required");
    expect(report.notChecked).toEqual([]);
  });

  it("reads an OpenAPI document as a document: a removed operation is a break", async () => {
    const spec = (paths: string) => `openapi: 3.0.0\ninfo: { title: shop, version: "1" }\npaths:\n${paths}`;
    const orders = '  /orders:\n    get:\n      responses: { "200": { description: ok } }\n';
    const refunds = '  /refunds:\n    post:\n      responses: { "201": { description: created } }\n';
    const report = await reviewRepository({ "api/openapi.yaml": spec(orders + refunds) }, { "api/openapi.yaml": spec(orders) });
    expect(report.findings).toEqual([expect.objectContaining({ engine: "api-smart-diff", rule: "openapi-breaking-change", category: "api_break" })]);
    expect(report.findings[0].message).toContain("/refunds");
  });

  it("runs the structural rules on the whole head file, reporting only added lines", async () => {
    // Only the argument line changes: the call around it is outside a zero-context hunk, so only a
    // parse of the whole file sees that the f-string goes to cur.execute.
    const base = ["def search(cur, name):", "    cur.execute(", '        "SELECT * FROM users WHERE name = %s", (name,)', "    )", "", "def legacy(cur, q):", '    cur.execute(f"SELECT * FROM t WHERE {q}")', ""].join("\n");
    const head = base.replace('        "SELECT * FROM users WHERE name = %s", (name,)', "        f\"SELECT * FROM users WHERE name = '{name}'\"");
    const repo = repositoryWith({ "app/db.py": base }, { "app/db.py": head });
    const diff = parseUnifiedDiff(execFileSync("git", ["diff", "-U0", repo.baseSha, repo.headSha], { cwd: repo.dir, encoding: "utf8" }));
    const sources = await readRepositorySources(repo.dir, repo.baseSha, repo.headSha, diff.files);
    rmSync(repo.dir, { recursive: true, force: true });
    const fragmentOnly = await runReviewRules(diff, { engines: [engine("ast-grep")] });
    const wholeFile = await runReviewRules(diff, { engines: [engine("ast-grep")], sources });
    expect(fragmentOnly.findings.filter((f) => f.rule === "python/sql-built-query")).toEqual([]);
    // Found on the added line 3; the unchanged f-string query on line 7 is not this change's finding.
    expect(wholeFile.findings.filter((f) => f.rule === "python/sql-built-query").map((f) => f.line)).toEqual([3]);
    expect(wholeFile.findings.every((f) => f.line === 3)).toBe(true);
  });

  it("compares the routes a whole file registers before and after", async () => {
    const base = ["from django.urls import path", "urlpatterns = [", '    path("orders/", views.orders),', '    path("refunds/", views.refunds),', "]", ""].join("\n");
    const moved = ["from django.urls import path", "urlpatterns = [", '    path("refunds/", views.refunds),', '    path("orders/", views.orders),', "]", ""].join("\n");
    const removed = ["from django.urls import path", "urlpatterns = [", '    path("orders/", views.orders),', "]", ""].join("\n");
    const onlyRoutes = async (head: string) => {
      const repo = repositoryWith({ "shop/urls.py": base }, { "shop/urls.py": head });
      const diff = parseUnifiedDiff(execFileSync("git", ["diff", repo.baseSha, repo.headSha], { cwd: repo.dir, encoding: "utf8" }));
      const sources = await readRepositorySources(repo.dir, repo.baseSha, repo.headSha, diff.files);
      rmSync(repo.dir, { recursive: true, force: true });
      return runReviewRules(diff, { engines: [engine("routes")], sources });
    };
    expect((await onlyRoutes(moved)).findings).toEqual([]);
    expect((await onlyRoutes(removed)).findings).toEqual([expect.objectContaining({ engine: "routes", rule: "route-removed", line: 4, category: "api_break" })]);
  });

  it("says what it could not check when the repository is not readable", async () => {
    const report = await review([added("src/pay.ts", ["export const a = 1;"])], { engines: REVIEW_ENGINES, sources: { unavailable: "no repository" } });
    expect(report.notChecked).toEqual([
      "ts-morph did not check exported APIs of changed TypeScript/JavaScript modules: no repository.",
      "routes did not check HTTP routes registered in whole changed files: no repository.",
    ]);
  });
});

describe("the textbook cases of issue #16, across TypeScript, Python and Go", () => {
  const K = "AKIA" + "Z3MSJV4WWNKWW5FG";
  const S = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzQ7Rk2Lp9Tq";
  it.each<[string, string]>([
  ["ts creds", fileDiff("src/config.ts", ["export const config = {};"], ["export const config = {", `  db: { user: "admin", password: "Tr0ub4dor&3xyz" },`, "};"])],
  ["py creds", fileDiff("app/settings.py", ["DEBUG = False"], ["DEBUG = False", `DATABASES = {"default": {"USER": "app", "PASSWORD": "Tr0ub4dor&3xyz"}}`])],
  ["go creds", fileDiff("cmd/config.go", ["package main"], ["package main", `var awsKey, awsSecret = "${K}", "${S}"`])],
  ["py fstring sql", fileDiff("app/db.py", ["def find(cur, name):", "    pass"], ["def find(cur, name):", `    cur.execute(f"SELECT * FROM users WHERE name = '{name}'")`])],
  ["go sql", fileDiff("store/users.go", ["func Find(db *sql.DB, name string) {", "}"], ["func Find(db *sql.DB, name string) {", `	db.Query("SELECT * FROM users WHERE name = '" + name + "'")`, "}"])],
  ["ts shell concat", fileDiff("src/archive.ts", ["import { execSync } from 'node:child_process';"], ["import { execSync } from 'node:child_process';", "export function zip(name: string) { execSync('tar czf out.tgz ' + name); }"])],
  ["py shell", fileDiff("app/tools.py", ["import os"], ["import os", "def ping(host):", "    os.system('ping -c 1 ' + host)"])],
  ["go shell", fileDiff("cmd/run.go", ["package main"], ["package main", `func run(arg string) { exec.Command("sh", "-c", "ls " + arg).Run() }`])],
  ["ts admin check", fileDiff("src/routes/admin.ts", ["router.delete('/users/:id', async (req, res) => {", "  if (!req.user.isAdmin) return res.status(403).end();", "  await deleteUser(req.params.id);", "});"], ["router.delete('/users/:id', async (req, res) => {", "  await deleteUser(req.params.id);", "});"])],
  ["py admin check", fileDiff("app/views.py", ["def delete_user(request, id):", "    if not request.user.is_staff:", "        return HttpResponseForbidden()", "    User.objects.get(id=id).delete()"], ["def delete_user(request, id):", "    User.objects.get(id=id).delete()"])],
  ["go admin check", fileDiff("api/users.go", ["func DeleteUser(w http.ResponseWriter, r *http.Request) {", "	if !isAdmin(r) {", "		http.Error(w, \"forbidden\", http.StatusForbidden)", "		return", "	}", "	deleteUser(r)", "}"], ["func DeleteUser(w http.ResponseWriter, r *http.Request) {", "	deleteUser(r)", "}"])],
  ["ts route path", fileDiff("src/server.ts", ["app.get('/api/orders/:id', getOrder);"], ["app.get('/api/order/:id', getOrder);"])],
  ["py route path", fileDiff("app/api.py", ["@app.get('/orders/{id}')", "def get_order(id): ..."], ["@app.get('/order/{id}')", "def get_order(id): ..."])],
  ["go route path", fileDiff("cmd/server.go", [`	http.HandleFunc("/api/orders", ordersHandler)`], [`	http.HandleFunc("/api/order", ordersHandler)`])],
  ["go gin route", fileDiff("cmd/server.go", [`	r.GET("/api/orders/:id", getOrder)`], [`	r.GET("/api/order/:id", getOrder)`])],
  ])("escalates %s under the default policy", async (_name, text) => {
    const diff = parseUnifiedDiff(text);
    const report = await runReviewRules(diff);
    const { outcome } = evaluateReview({ review: heuristicReview(diff, report, defaultPolicyRules.review), rules: report, policy: defaultPolicyRules });
    expect(outcome.kind, report.findings.map(ruleIdOf).join(", ")).toBe("escalate");
  });
});

describe("route registrations of other frameworks", () => {
  it.each([
    ["Spring", "src/main/java/OrderController.java", '    @GetMapping("/orders/{id}")', '    @GetMapping("/order/{id}")'],
    ["Laravel", "routes/api.php", "Route::get('/orders/{id}', [OrderController::class, 'show']);", "Route::get('/order/{id}', [OrderController::class, 'show']);"],
    ["Rails", "config/routes.rb", "  get '/orders/:id', to: 'orders#show'", "  get '/order/:id', to: 'orders#show'"],
    ["echo", "server.go", '	e.POST("/orders", create)', '	e.POST("/order", create)'],
  ])("finds a changed %s route path", async (_kind, path, before, after) => {
    const report = await review([fileDiff(path, [before], [after])], { engines: [lineRules] });
    expect(report.findings.filter((f) => f.category === "api_break").map((f) => f.rule)).toEqual(["api.route-removed"]);
  });

  it("does not read a bare get outside a Rails routes file", async () => {
    const report = await review([fileDiff("app/models/order.rb", ["  get '/orders'"], ["  get '/order'"])], { engines: [lineRules] });
    expect(report.findings.filter((f) => f.category === "api_break")).toEqual([]);
  });
});

describe("markup sinks (XSS)", () => {
  const only = { engines: [lineRules] };
  const xss = (findings: RuleFinding[]) => findings.filter((f) => f.category === "xss").map((f) => f.rule);

  it.each([
    ["React", "src/Comment.tsx", "  return <div dangerouslySetInnerHTML={{ __html: comment.body }} />;", "react-dangerously-set-inner-html"],
    ["the DOM", "src/render.js", "  el.innerHTML = message;", "dom-inner-html"],
    ["Vue", "src/Note.vue", '  <p v-html="note.text"></p>', "vue-v-html"],
    ["Django", "app/views.py", "    return mark_safe(user.bio)", "django-mark-safe"],
    ["a Jinja template", "templates/profile.html", "  <p>{{ user.bio|safe }}</p>", "template-safe-filter"],
    ["Rails", "app/helpers/bio_helper.rb", "    user.bio.html_safe", "rails-html-safe"],
    ["Blade", "resources/views/bio.blade.php", "  <p>{!! $user->bio !!}</p>", "blade-unescaped"],
    ["Go", "web/page.go", "	data.Body = template.HTML(r.FormValue(\"body\"))", "go-template-html"],
    ["PHP", "public/search.php", "echo $_GET['q'];", "php-echo-request"],
  ])("flags an unescaped value in %s", async (_kind, path, line, rule) => {
    expect(xss((await review([added(path, [line])], only)).findings)).toEqual([rule]);
  });

  it.each([
    ["a constant written into innerHTML", "src/render.js", '  el.innerHTML = "<b>Saved</b>";'],
    ["sanitized React HTML", "src/Comment.tsx", "  return <div dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(comment.body) }} />;"],
    ["an escaped template value", "templates/profile.html", "  <p>{{ user.bio }}</p>"],
    ["a comparison with innerHTML", "src/check.js", "  if (el.innerHTML == expected) return;"],
  ])("does not flag %s", async (_kind, path, line) => {
    expect(xss((await review([added(path, [line])], only)).findings)).toEqual([]);
  });
});

describe("the strict policy: deleted logic goes to a person", () => {
  const strict = { ...defaultPolicyRules, review: { ...defaultPolicyRules.review, escalateDeletedLogic: true } };
  const pullRequest = { repository: "acme/shop", number: 7, title: "Simplify paging", author: "dev" };
  const pager = fileDiff("src/pager.py", ["def page_of(page):", "    if page < 1:", "        page = 1", "    return page * 20"], ["def page_of(page):", "    return page * 20"]);

  it("passes a deleted condition under the default policy and escalates it under the strict one, naming the line", async () => {
    const diff = parseUnifiedDiff(pager);
    const relaxed = await reviewChange({ diff, sources: undefined, pullRequest }, { provider: null, policy: defaultPolicyRules });
    expect(relaxed.outcome.kind).toBe("pass");
    expect(relaxed.rules.deletedLogic).toEqual({ count: 1, lines: [{ file: "src/pager.py", line: 2 }] });
    const strictReview = await reviewChange({ diff, sources: undefined, pullRequest }, { provider: null, policy: strict });
    expect(strictReview.outcome).toMatchObject({ kind: "escalate", reasons: [{ code: "deleted_logic", detail: expect.stringContaining("src/pager.py:2") }] });
  });

  it("counts only code that is not a test, and not comments or text inside strings", async () => {
    const diffs = [
      fileDiff("tests/pager_test.py", ["assert page_of(0) == 20", "x = 1"], ["x = 1"]),
      fileDiff("docs/paging.md", ["If the page is < 1, page 1 is shown.", "end"], ["end"]),
      fileDiff("src/messages.py", ['HELP = "use if and return"', "# if page < 1: return", "x = 1"], ["x = 1"]),
    ];
    const report = await runReviewRules(parseUnifiedDiff(diffs.join("")));
    expect(report.deletedLogic).toEqual({ count: 0, lines: [] });
  });

  it("counts deleted lines by the file they were deleted from, read by the rules or not", async () => {
    const renamedAway = `diff --git a/src/auth.ts b/docs/auth.txt
similarity index 80%
rename from src/auth.ts
rename to docs/auth.txt
--- a/src/auth.ts
+++ b/docs/auth.txt
@@ -1,3 +1,2 @@
 export function load(user) {
-  if (!user) throw new Error("no user");
   return user;
`;
    const vendored = fileDiff("vendor/zlib/inflate.c", ["int check(int n) {", "  if (n > 32768) return -1;", "  return n;"], ["int check(int n) {", "  return n;"]);
    const many = fileDiff("src/limits.go", Array.from({ length: 60 }, (_, i) => `\tif v${i} > 10 { return err }`), []);
    const report = await runReviewRules(parseUnifiedDiff(renamedAway + vendored + many));
    expect(report.unreviewedFiles.map((u) => u.file)).toContain("vendor/zlib/inflate.c");
    expect(report.deletedLogic!.count).toBe(62);
    expect(report.deletedLogic!.lines.slice(0, 2)).toEqual([{ file: "src/auth.ts", line: 2 }, { file: "vendor/zlib/inflate.c", line: 2 }]);
    // Five lines a file are listed; the count says how many there are.
    expect(report.deletedLogic!.lines.filter((l) => l.file === "src/limits.go")).toHaveLength(5);
    const strictOutcome = evaluateReview({ review: heuristicReview(parseUnifiedDiff(renamedAway), report, defaultPolicyRules.review), rules: report, policy: strict }).outcome;
    expect(strictOutcome).toMatchObject({ kind: "escalate", reasons: expect.arrayContaining([expect.objectContaining({ code: "deleted_logic", value: 62, detail: expect.stringContaining("src/auth.ts:2 and 61 more") })]) });
  });
});
