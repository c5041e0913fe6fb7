import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapCoverageToDiff, type ChangedLineCoverage, type FileChangedCoverage } from "@/lib/coverage/changed-line-coverage";
import { parseCoverage } from "@/lib/coverage/coverage-report";
import { parseUnifiedDiff, type ParsedDiff } from "@/lib/diff/unified-diff";
import { diffBetween, git } from "@/lib/git/git";
import { testDataDir } from "../support/flowgate-process";

/**
 * Coverage mapped onto diffs of real git repositories: one JavaScript repository (lcov from a real
 * run of Node's test runner with coverage on the head checkout, and Istanbul JSON as nyc writes
 * it for that head) and one Python repository (Cobertura XML as coverage.py writes it). Each head
 * adds, modifies and deletes lines, renames a file with and without edits, deletes a file, adds
 * comments and blank lines, adds a file no test loads, and changes a test file and a README.
 */

const run = promisify(execFile);

type Tree = Record<string, string | null>; // null deletes the file

function writeTree(dir: string, tree: Tree) {
  for (const [file, content] of Object.entries(tree)) {
    const target = path.join(dir, file);
    if (content === null) fs.rmSync(target);
    else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
    }
  }
}

const lines = (...source: string[]) => `${source.join("\n")}\n`;

/** A repository with a base commit and a head commit; returns the parsed `git diff base...head`. */
async function repositoryWithChange(name: string, base: Tree, head: Tree): Promise<{ dir: string; diff: ParsedDiff; rawDiff: string }> {
  const dir = testDataDir(name);
  fs.mkdirSync(dir, { recursive: true });
  await git(dir, ["init", "-q", "-b", "main"]);
  await git(dir, ["config", "user.email", "dev@example.com"]);
  await git(dir, ["config", "user.name", "Dev"]);
  writeTree(dir, base);
  await git(dir, ["add", "-A"]);
  await git(dir, ["commit", "-q", "-m", "base"]);
  await git(dir, ["checkout", "-q", "-b", "feature"]);
  writeTree(dir, head);
  await git(dir, ["add", "-A"]);
  await git(dir, ["commit", "-q", "-m", "head"]);
  const { diff } = await diffBetween(dir, "main", "feature", 1024 * 1024);
  return { dir, diff: parseUnifiedDiff(diff), rawDiff: diff };
}

/** The per-file figures without the uncovered ranges, which a separate test checks. */
function summary(file: FileChangedCoverage) {
  return [file.path, file.status, file.changedLines, file.executable, file.covered, file.uncoveredLines] as const;
}

/** Istanbul JSON as nyc writes it, one statement per executable line (enough to fix the lines). */
function istanbulReport(root: string, files: Record<string, Record<number, number>>): string {
  const document: Record<string, unknown> = {};
  for (const [file, hitsByLine] of Object.entries(files)) {
    const absolute = path.join(root, file);
    const statementMap: Record<string, unknown> = {};
    const s: Record<string, number> = {};
    Object.entries(hitsByLine).forEach(([line, hits], index) => {
      statementMap[index] = { start: { line: Number(line), column: 2 }, end: { line: Number(line), column: 20 } };
      s[index] = hits;
    });
    document[absolute] = { path: absolute, statementMap, fnMap: {}, branchMap: {}, s, f: {}, b: {} };
  }
  return JSON.stringify(document);
}

// ---------------------------------------------------------------------------------------------
// JavaScript repository
// ---------------------------------------------------------------------------------------------

const jsBase: Tree = {
  "package.json": lines('{ "name": "shop", "private": true }'),
  "README.md": lines("# Shop"),
  "src/cart.js": lines(
    'const { roundCents } = require("./money");',
    "",
    "function total(items) {",
    "  let sum = 0;",
    "  for (const item of items) {",
    "    sum += item.price * item.quantity;",
    "  }",
    "  return roundCents(sum);",
    "}",
    "",
    "function isEmpty(items) {",
    "  return items.length === 0;",
    "}",
    "",
    "module.exports = { total, isEmpty };",
  ),
  "src/money.js": lines(
    "// Rounding of amounts to whole cents.",
    "function roundCents(amount) {",
    "  return Math.round(amount * 100) / 100;",
    "}",
    "",
    "module.exports = { roundCents };",
  ),
  "src/tax.js": lines(
    "// VAT rates by country.",
    "const RATES = { DE: 0.19, FR: 0.2 };",
    "",
    "function vat(amount, country) {",
    "  const rate = RATES[country];",
    "  if (rate === undefined) {",
    "    throw new Error(`unknown country ${country}`);",
    "  }",
    "  return amount * rate;",
    "}",
    "",
    "function net(gross, country) {",
    "  return gross / (1 + RATES[country]);",
    "}",
    "",
    "module.exports = { vat, net };",
  ),
  "src/legacy.js": lines("function old() {", "  return 1;", "}", "", "module.exports = { old };"),
  "test/cart.test.js": lines(
    'const test = require("node:test");',
    'const assert = require("node:assert/strict");',
    'const { total } = require("../src/cart");',
    "",
    'test("total sums price times quantity", () => {',
    "  assert.equal(total([{ price: 1.5, quantity: 2 }]), 3);",
    "});",
  ),
};

const jsHead: Tree = {
  "README.md": lines("# Shop", "", "Carts, currency and taxes."),
  // Modified: the require (line 1), total's signature (4) and exports (21); added: a comment (3),
  // the discount branch (10-13, with a blank line 13) and count() (17-19); deleted: isEmpty().
  "src/cart.js": lines(
    'const { roundCents } = require("./currency");', //  1 modified
    "", //                                                2
    "// Totals are in euros; discounts are absolute.", // 3 added comment
    "function total(items, discount = 0) {", //           4 modified
    "  let sum = 0;", //                                  5
    "  for (const item of items) {", //                   6
    "    sum += item.price * item.quantity;", //          7
    "  }", //                                             8
    "  if (discount > 0) {", //                           9 added
    "    sum -= discount;", //                           10 added, never runs
    "  }", //                                            11 added
    "", //                                               12 added blank
    "  return roundCents(sum);", //                      13
    "}", //                                              14
    "", //                                               15
    "function count(items) {", //                        16 added
    "  return items.reduce((n, item) => n + item.quantity, 0);", // 17 added
    "}", //                                              18 added
    "", //                                               19
    "module.exports = { total, count };", //             20 modified
  ),
  // Renamed without edits.
  "src/money.js": null,
  "src/currency.js": jsBase["src/money.js"],
  // Renamed with edits: a rate added (2), gross() added (16-20), which no test calls.
  "src/tax.js": null,
  "src/taxes.js": lines(
    "// VAT rates by country.", //                        1
    "const RATES = { DE: 0.19, FR: 0.2, AT: 0.2 };", //   2 modified
    "", //                                                3
    "function vat(amount, country) {", //                 4
    "  const rate = RATES[country];", //                  5
    "  if (rate === undefined) {", //                     6
    "    throw new Error(`unknown country ${country}`);", // 7
    "  }", //                                             8
    "  return amount * rate;", //                         9
    "}", //                                              10
    "", //                                               11
    "function net(gross, country) {", //                 12
    "  return gross / (1 + RATES[country]);", //         13
    "}", //                                              14
    "", //                                               15
    "/** Amount plus VAT. */", //                        16 added comment
    "function gross(amount, country) {", //              17 added
    "  return amount + vat(amount, country);", //        18 added, never runs
    "}", //                                              19 added
    "", //                                               20 added blank
    "module.exports = { vat, net, gross };", //          21 modified
  ),
  "src/legacy.js": null,
  // Added, and no test loads it.
  "src/export.js": lines(
    "// Orders as CSV; not wired in yet.", //             1 comment
    "function toCsv(orders) {", //                        2
    '  return orders.map((o) => `${o.id},${o.total}`).join("\\n");', // 3
    "}", //                                               4
    "", //                                                5
    "module.exports = { toCsv };", //                     6
  ),
  "test/cart.test.js": lines(
    'const test = require("node:test");',
    'const assert = require("node:assert/strict");',
    'const { total, count } = require("../src/cart");',
    'const { vat } = require("../src/taxes");',
    "",
    'test("total sums price times quantity", () => {',
    "  assert.equal(total([{ price: 1.5, quantity: 2 }]), 3);",
    "});",
    "",
    'test("count adds quantities", () => {',
    "  assert.equal(count([{ quantity: 2 }, { quantity: 3 }]), 5);",
    "});",
    "",
    'test("vat for Austria", () => {',
    '  assert.equal(vat(100, "AT"), 20);',
    "});",
  ),
};

describe("JavaScript repository", () => {
  let repo: Awaited<ReturnType<typeof repositoryWithChange>>;

  beforeAll(async () => {
    repo = await repositoryWithChange("coverage-js", jsBase, jsHead);
  });

  afterAll(() => {
    if (repo) fs.rmSync(repo.dir, { recursive: true, force: true });
  });

  it("git sees the change the scenario describes", () => {
    expect(repo.diff.files.map((f) => [f.path, f.status, f.oldPath])).toEqual([
      ["README.md", "modified", "README.md"],
      ["src/cart.js", "modified", "src/cart.js"],
      ["src/currency.js", "renamed", "src/money.js"],
      ["src/export.js", "added", null],
      ["src/legacy.js", "deleted", "src/legacy.js"],
      ["src/taxes.js", "renamed", "src/tax.js"],
      ["test/cart.test.js", "modified", "test/cart.test.js"],
    ]);
  });

  it("lcov from Node's test runner on the head checkout", async () => {
    const lcovFile = path.join(repo.dir, "lcov.info");
    await run(process.execPath, ["--test", "--experimental-test-coverage", "--test-reporter=lcov", `--test-reporter-destination=${lcovFile}`], { cwd: repo.dir }).catch((error) => {
      throw new Error(`the head's tests failed: ${error.stdout ?? ""}${error.stderr ?? ""}`);
    });
    const report = parseCoverage("lcov", fs.readFileSync(lcovFile, "utf8"), { root: repo.dir });
    // Node's V8 coverage lists every line of a loaded file, comments and blank lines included;
    // those are not counted. Closing braces are listed, so they count.
    expect(report.get("src/cart.js")!.lines.get(12)).toBe(1); // the blank line, listed as run
    expect(report.has("src/export.js")).toBe(false);

    const coverage = mapCoverageToDiff(repo.diff, report);
    expect(coverage.files.map(summary)).toEqual([
      // added: 1, 3, 4, 9, 10, 11, 12, 16, 17, 20 (18 is the old closing brace of isEmpty, kept
      // as context); 3 is a comment and 12 blank. V8 counts the skipped `if` body and its closing
      // brace (10, 11) as not run.
      ["src/cart.js", "measured", 10, 8, 6, [10, 11]],
      ["src/currency.js", "no_executable_changes", 0, 0, 0, []],
      ["src/export.js", "not_in_report", 6, 4, 0, [2, 3, 4, 6]],
      ["src/legacy.js", "deleted", 0, 0, 0, []],
      // added: 2, 16-21; 16 is a comment and 20 blank; gross() never ran.
      ["src/taxes.js", "measured", 7, 5, 2, [17, 18, 19]],
      ["test/cart.test.js", "test_file", 10, 0, 0, []],
    ]);
    expect(totals(coverage)).toEqual({ executable: 17, covered: 8, percent: (8 / 17) * 100 });
  });

  it("Istanbul JSON as nyc writes it for the head", () => {
    // nyc's statements for the head files (nyc leaves test files out): declarations of functions
    // and closing braces are no statements; `let`, `for`, `if`, assignments, returns, requires
    // and exports are. Line 17 of cart.js holds two: the return (1 run) and the reduce callback
    // (2 runs).
    const report = parseCoverage(
      "istanbul-json",
      istanbulReport(repo.dir, {
        "src/cart.js": { 1: 1, 5: 1, 6: 1, 7: 1, 9: 1, 10: 0, 13: 1, 17: 2, 20: 1 },
        "src/currency.js": { 3: 1, 6: 1 },
        "src/taxes.js": { 2: 1, 5: 1, 6: 1, 7: 0, 9: 1, 13: 0, 18: 0, 21: 1 },
      }),
      { root: repo.dir },
    );
    const coverage = mapCoverageToDiff(repo.diff, report);
    expect(coverage.files.map(summary)).toEqual([
      // added lines that are statements: 1, 9, 10, 17, 20 (4, 11 and 16 are none).
      ["src/cart.js", "measured", 10, 5, 4, [10]],
      ["src/currency.js", "no_executable_changes", 0, 0, 0, []],
      ["src/export.js", "not_in_report", 6, 4, 0, [2, 3, 4, 6]],
      ["src/legacy.js", "deleted", 0, 0, 0, []],
      // added lines that are statements: 2, 18, 21.
      ["src/taxes.js", "measured", 7, 3, 2, [18]],
      ["test/cart.test.js", "test_file", 10, 0, 0, []],
    ]);
    expect(totals(coverage)).toEqual({ executable: 12, covered: 6, percent: 50 });
  });

  it("merges consecutive uncovered lines into ranges", () => {
    const coverage = mapCoverageToDiff(repo.diff, new Map());
    const exported = coverage.files.find((f) => f.path === "src/export.js")!;
    expect(exported.uncoveredRanges).toEqual([
      [2, 4],
      [6, 6],
    ]);
    const cart = coverage.files.find((f) => f.path === "src/cart.js")!;
    // With no report at all every added code line is uncovered: 1, 4, 9-11, 16, 17, 20.
    expect(cart.status).toBe("not_in_report");
    expect(cart.uncoveredRanges).toEqual([
      [1, 1],
      [4, 4],
      [9, 11],
      [16, 17],
      [20, 20],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Python repository
// ---------------------------------------------------------------------------------------------

const pyBase: Tree = {
  "README.md": lines("# Inventory"),
  "inventory/__init__.py": "",
  "inventory/stock.py": lines(
    '"""Stock levels per warehouse."""',
    "",
    "",
    "def reserve(levels, sku, quantity):",
    "    for warehouse, stock in levels.items():",
    "        if stock.get(sku, 0) >= quantity:",
    "            stock[sku] -= quantity",
    "            return warehouse",
    "    return None",
  ),
  "inventory/pricing.py": lines(
    "def unit_price(total, quantity):",
    "    if quantity == 0:",
    "        return 0",
    "    return total / quantity",
    "",
    "",
    "def with_margin(price, margin):",
    "    return price * (1 + margin)",
  ),
  "inventory/units.py": lines("GRAMS_PER_KILO = 1000", "", "", "def to_grams(kilos):", "    return kilos * GRAMS_PER_KILO"),
  "inventory/legacy.py": lines("def old():", "    return 1"),
  "tests/test_stock.py": lines("from inventory.stock import reserve", "", "", "def test_reserve():", '    assert reserve({"n": {"a": 2}}, "a", 1) == "n"'),
};

const pyHead: Tree = {
  "README.md": lines("# Inventory", "", "Stock and prices."),
  "inventory/stock.py": lines(
    '"""Stock levels per warehouse."""', //                    1
    "", //                                                     2
    "", //                                                     3
    "class OutOfStock(Exception):", //                         4 added
    "    pass", //                                             5 added
    "", //                                                     6 added
    "", //                                                     7 added
    "def reserve(levels, sku, quantity):", //                  8
    '    """Reserve from the first warehouse with enough."""', // 9 added docstring
    "    # Warehouses are tried in the order they were added.", // 10 added comment
    "    for warehouse, stock in levels.items():", //          11
    "        if stock.get(sku, 0) >= quantity:", //            12
    "            stock[sku] -= quantity", //                   13
    "            return warehouse", //                         14
    "    raise OutOfStock(sku)", //                            15 modified
    "", //                                                    16 added
    "", //                                                    17 added
    "def restock(levels, warehouse, sku, quantity):", //      18 added
    "    if quantity <= 0:", //                               19 added
    '        raise ValueError("quantity must be positive")', // 20 added, never runs
    "    levels.setdefault(warehouse, {})[sku] = (", //        21 added
    "        levels[warehouse].get(sku, 0) + quantity", //     22 added (same statement as 21)
    "    )", //                                               23 added
  ),
  // Renamed with edits: with_margin's body modified (8), a rounding helper added (11-12).
  "inventory/pricing.py": null,
  "inventory/prices.py": lines(
    "def unit_price(total, quantity):", //  1
    "    if quantity == 0:", //             2
    "        return 0", //                  3
    "    return total / quantity", //       4
    "", //                                  5
    "", //                                  6
    "def with_margin(price, margin):", //   7
    "    return round(price * (1 + margin), 2)", // 8 modified
    "", //                                  9 added
    "", //                                 10 added
    "def cents(amount):", //               11 added
    "    return int(amount * 100)", //     12 added, never runs
  ),
  // Renamed without edits.
  "inventory/units.py": null,
  "inventory/measures.py": pyBase["inventory/units.py"],
  "inventory/legacy.py": null,
  // Added, and nothing imports it.
  "inventory/export.py": lines(
    '"""CSV export of stock levels."""', // 1 docstring
    "import csv", //                        2
    "", //                                  3
    "", //                                  4
    "def write(levels, out):", //           5
    "    # One row per warehouse and SKU.", // 6 comment
    "    writer = csv.writer(out)", //      7
    "    for warehouse, stock in levels.items():", // 8
    "        for sku, count in stock.items():", //     9
    "            writer.writerow([warehouse, sku, count])", // 10
  ),
  "tests/test_stock.py": lines(
    "import pytest",
    "",
    "from inventory.prices import with_margin",
    "from inventory.stock import OutOfStock, reserve, restock",
    "",
    "",
    "def test_reserve():",
    '    assert reserve({"n": {"a": 2}}, "a", 1) == "n"',
    "",
    "",
    "def test_reserve_out_of_stock():",
    "    with pytest.raises(OutOfStock):",
    '        reserve({"n": {"a": 0}}, "a", 1)',
    "",
    "",
    "def test_restock_adds():",
    '    levels = {"n": {"a": 1}}',
    '    restock(levels, "n", "a", 2)',
    '    assert levels["n"]["a"] == 3',
    "",
    "",
    "def test_margin():",
    "    assert with_margin(10, 0.5) == 15",
  ),
};

/**
 * Cobertura XML the way `coverage run -m pytest && coverage xml` writes it: an empty <source> and
 * the working directory as sources, one <package> per directory, one <class> per file, files
 * inside the working directory relative and others (pytest itself) absolute.
 */
function coveragePyXml(root: string, files: Record<string, Record<number, number>>): string {
  const packages = new Map<string, string[]>();
  for (const [file, hitsByLine] of Object.entries(files)) {
    const directory = path.posix.dirname(file);
    const lineElements = Object.entries(hitsByLine).map(([line, hits]) => `\t\t\t\t\t\t<line number="${line}" hits="${hits}"/>`);
    const element = [
      `\t\t\t\t<class name="${path.posix.basename(file)}" filename="${file}" complexity="0" line-rate="1" branch-rate="0">`,
      "\t\t\t\t\t<methods/>",
      ...(lineElements.length ? ["\t\t\t\t\t<lines>", ...lineElements, "\t\t\t\t\t</lines>"] : ["\t\t\t\t\t<lines/>"]),
      "\t\t\t\t</class>",
    ].join("\n");
    packages.set(directory, [...(packages.get(directory) ?? []), element]);
  }
  const packageElements = [...packages].map(([directory, classes]) =>
    [
      `\t\t<package name="${directory.replace(/\//g, ".")}" line-rate="1" branch-rate="0" complexity="0">`,
      "\t\t\t<classes>",
      ...classes,
      "\t\t\t</classes>",
      "\t\t</package>",
    ].join("\n"),
  );
  return [
    '<?xml version="1.0" ?>',
    '<coverage version="6.5.0" timestamp="1764032400000" lines-valid="0" lines-covered="0" line-rate="0" branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">',
    "\t<!-- Generated by coverage.py: https://coverage.readthedocs.io -->",
    "\t<!-- Based on https://raw.githubusercontent.com/cobertura/web/master/htdocs/xml/coverage-04.dtd -->",
    "\t<sources>",
    "\t\t<source></source>",
    `\t\t<source>${root}</source>`,
    "\t</sources>",
    "\t<packages>",
    ...packageElements,
    "\t</packages>",
    "</coverage>",
    "",
  ].join("\n");
}

describe("Python repository", () => {
  let repo: Awaited<ReturnType<typeof repositoryWithChange>>;

  beforeAll(async () => {
    repo = await repositoryWithChange("coverage-py", pyBase, pyHead);
  });

  afterAll(() => {
    if (repo) fs.rmSync(repo.dir, { recursive: true, force: true });
  });

  it("git sees the change the scenario describes", () => {
    expect(repo.diff.files.map((f) => [f.path, f.status, f.oldPath])).toEqual([
      ["README.md", "modified", "README.md"],
      ["inventory/export.py", "added", null],
      ["inventory/legacy.py", "deleted", "inventory/legacy.py"],
      ["inventory/measures.py", "renamed", "inventory/units.py"],
      ["inventory/prices.py", "renamed", "inventory/pricing.py"],
      ["inventory/stock.py", "modified", "inventory/stock.py"],
      ["tests/test_stock.py", "modified", "tests/test_stock.py"],
    ]);
  });

  it("Cobertura XML as coverage.py writes it for the head", () => {
    // coverage.py's statements: docstrings, comments and blank lines are none, a `def` or `class`
    // line is one (it runs at import), a statement over several lines is its first line only.
    // Files no test imports (measures.py, export.py) are not in the report.
    const xml = coveragePyXml(repo.dir, {
      "/usr/lib/python3/dist-packages/pytest/__main__.py": { 2: 1, 4: 1, 5: 1 },
      "inventory/__init__.py": {},
      "inventory/prices.py": { 1: 1, 2: 0, 3: 0, 4: 0, 7: 1, 8: 1, 11: 1, 12: 0 },
      "inventory/stock.py": { 4: 1, 5: 1, 8: 1, 11: 1, 12: 1, 13: 1, 14: 1, 15: 1, 18: 1, 19: 1, 20: 0, 21: 1 },
      "tests/test_stock.py": { 1: 1, 3: 1, 4: 1, 7: 1, 8: 1, 11: 1, 12: 1, 13: 1, 16: 1, 17: 1, 18: 1, 19: 1, 22: 1, 23: 1 },
    });
    const report = parseCoverage("cobertura", xml, { root: repo.dir });
    expect([...report.keys()]).toEqual(["inventory/__init__.py", "inventory/prices.py", "inventory/stock.py", "tests/test_stock.py"]);
    const coverage = mapCoverageToDiff(repo.diff, report);
    expect(coverage.files.map(summary)).toEqual([
      // not loaded: every code line counts (docstring 1, comment 6 and blank lines do not).
      ["inventory/export.py", "not_in_report", 10, 6, 0, [2, 5, 7, 8, 9, 10]],
      ["inventory/legacy.py", "deleted", 0, 0, 0, []],
      ["inventory/measures.py", "no_executable_changes", 0, 0, 0, []],
      // added: 8, 9, 10, 11, 12; statements among them: 8, 11, 12.
      ["inventory/prices.py", "measured", 5, 3, 2, [12]],
      // added: 4-7, 9, 10, 15-23; statements among them: 4, 5, 15, 18, 19, 20, 21.
      ["inventory/stock.py", "measured", 15, 7, 6, [20]],
      ["tests/test_stock.py", "test_file", 19, 0, 0, []],
    ]);
    expect(totals(coverage)).toEqual({ executable: 16, covered: 8, percent: 50 });
  });
});

function totals(coverage: ChangedLineCoverage) {
  return { executable: coverage.executable, covered: coverage.covered, percent: coverage.percent };
}
