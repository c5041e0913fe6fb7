import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CoverageParseError, parseCoverage, type CoverageFormat, type CoverageReport } from "@/lib/coverage/coverage-report";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/coverage");
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");

/** The report as { path: { line: hits } }, so a whole report can be compared at once. */
function plain(report: CoverageReport): Record<string, Record<number, number>> {
  return Object.fromEntries([...report].map(([file, coverage]) => [file, Object.fromEntries(coverage.lines)]));
}

/** { line: hits } for lines first..last, all with the same hits, overridden by `except`. */
function everyLine(first: number, last: number, hits: number, except: Record<number, number> = {}): Record<number, number> {
  const lines: Record<number, number> = {};
  for (let line = first; line <= last; line++) lines[line] = except[line] ?? hits;
  return lines;
}

describe("lcov", () => {
  it("reads Node's test runner report: every line of each loaded file, test files included", () => {
    const report = parseCoverage("lcov", fixture("node-test.lcov.info"), { root: "/tmp/tiny-pricing" });
    expect([...report.keys()]).toEqual(["src/format.js", "src/pricing.js", "test/pricing.test.js"]);
    expect(plain(report)["src/format.js"]).toEqual(everyLine(1, 7, 1, { 6: 0, 7: 0 }));
    // subtotal runs twice, discount twice (HALF, TENOFF), shipping once; the TENOFF test fails
    // because line 15 returns, so the fall-through `return amount` (17) and the throw (22-23) never run.
    expect(plain(report)["src/pricing.js"]).toEqual(
      everyLine(1, 25, 1, { 3: 2, 4: 2, 5: 2, 6: 2, 7: 2, 8: 2, 11: 2, 18: 2, 17: 0, 22: 0, 23: 0 }),
    );
    expect(report.get("test/pricing.test.js")!.lines.size).toBe(32);
    expect(report.get("src/format.js")!.path).toBe("src/format.js");
  });

  it("skips function, branch and summary records and keeps the checksum out of the hits", () => {
    const text = ["TN:unit", "SF:/repo/src/a.js", "FN:1,main", "FNDA:3,main", "FNF:1", "FNH:1", "BRDA:2,0,0,1", "BRDA:2,0,1,-", "BRF:2", "BRH:1", "DA:1,3", "DA:2,0,Zm9v", "LF:2", "LH:1", "end_of_record", ""].join("\n");
    expect(plain(parseCoverage("lcov", text, { root: "/repo" }))).toEqual({ "src/a.js": { 1: 3, 2: 0 } });
  });

  it("reads CRLF line endings", () => {
    const text = "SF:src/a.js\r\nDA:4,1\r\nend_of_record\r\n";
    expect(plain(parseCoverage("lcov", text, { root: "/repo" }))).toEqual({ "src/a.js": { 4: 1 } });
  });

  it("adds up the hits of a file reported twice (tracefiles concatenated from two test runs)", () => {
    const text = ["SF:src/a.js", "DA:1,1", "DA:2,0", "end_of_record", "SF:./src/a.js", "DA:2,5", "DA:3,0", "end_of_record"].join("\n");
    expect(plain(parseCoverage("lcov", text, { root: "/repo" }))).toEqual({ "src/a.js": { 1: 1, 2: 5, 3: 0 } });
  });

  it("keeps a file with no executable lines in the report, with no lines", () => {
    const report = parseCoverage("lcov", "SF:src/types.ts\nLF:0\nLH:0\nend_of_record\n", { root: "/repo" });
    expect(plain(report)).toEqual({ "src/types.ts": {} });
  });

  it("reads an empty tracefile as an empty report", () => {
    expect(parseCoverage("lcov", "", { root: "/repo" }).size).toBe(0);
  });
});

describe("Istanbul JSON", () => {
  it("reads nyc's coverage-final.json: one line per statement start", () => {
    const report = parseCoverage("istanbul-json", fixture("nyc.coverage-final.json"), { root: "/tmp/tiny-pricing-cjs" });
    expect(plain(report)).toEqual({
      // Lines of projects/tiny-pricing-cjs/src: function declarations, blank lines, comments and
      // closing braces are no statements; module.exports is.
      "src/format.js": { 2: 1, 6: 0, 8: 1 },
      "src/pricing.js": { 3: 2, 4: 2, 5: 2, 7: 2, 11: 2, 12: 1, 14: 1, 15: 1, 17: 0, 21: 1, 22: 0, 24: 1, 26: 1 },
    });
  });

  it("reads c8's coverage-final.json (v8-to-istanbul: a statement per line) like Node's own lcov of the same run", () => {
    const fromC8 = parseCoverage("istanbul-json", fixture("c8.coverage-final.json"), { root: "/tmp/tiny-pricing" });
    const fromNode = parseCoverage("lcov", fixture("node-test.lcov.info"), { root: "/tmp/tiny-pricing" });
    expect(plain(fromC8)["src/format.js"]).toEqual(plain(fromNode)["src/format.js"]);
    expect(plain(fromC8)["src/pricing.js"]).toEqual(plain(fromNode)["src/pricing.js"]);
  });

  it("gives a line the largest count of the statements starting on it, and ignores where they end", () => {
    const text = JSON.stringify({
      "/repo/src/a.js": {
        path: "/repo/src/a.js",
        statementMap: {
          "0": { start: { line: 3, column: 0 }, end: { line: 3, column: 10 } },
          "1": { start: { line: 3, column: 11 }, end: { line: 3, column: 20 } },
          "2": { start: { line: 5, column: 2 }, end: { line: 9, column: 4 } },
        },
        s: { "0": 0, "1": 4, "2": 0 },
        fnMap: {},
        f: {},
        branchMap: {},
        b: {},
      },
    });
    expect(plain(parseCoverage("istanbul-json", text, { root: "/repo" }))).toEqual({ "src/a.js": { 3: 4, 5: 0 } });
  });

  it("prefers the entry's path over its key, and reads entries wrapped in { data }", () => {
    const entry = (file: string) => ({ path: file, statementMap: { "0": { start: { line: 1, column: 0 }, end: { line: 1, column: 5 } } }, s: { "0": 2 } });
    const text = JSON.stringify({ "some-key": entry("/repo/lib/a.ts"), "/repo/lib/b.ts": { data: entry("/repo/lib/b.ts") } });
    expect(plain(parseCoverage("istanbul-json", text, { root: "/repo" }))).toEqual({ "lib/a.ts": { 1: 2 }, "lib/b.ts": { 1: 2 } });
  });
});

describe("Cobertura", () => {
  it("reads coverage.py's report relative to its absolute <source>", () => {
    const report = parseCoverage("cobertura", fixture("coverage-py.cobertura.xml"), { root: "/tmp/tiny-inventory" });
    expect(plain(report)).toEqual({
      "inventory/__init__.py": {},
      // A multi-line statement is one line, its first: lines 3-7 of report.py are not listed.
      "inventory/report.py": { 1: 0, 2: 0 },
      // Docstring (1), blank lines, the comment (9) are not statements; line 19 is the ValueError.
      "inventory/stock.py": { 4: 1, 5: 1, 8: 1, 10: 1, 11: 1, 12: 1, 13: 1, 14: 1, 17: 1, 18: 1, 19: 0, 20: 1, 21: 1 },
    });
  });

  it("reads a JaCoCo conversion: relative <source>, inner classes merged into their file, <methods> not counted twice", () => {
    const report = parseCoverage("cobertura", fixture("jacoco-cover2cover.cobertura.xml"), { root: "/home/ci/shop" });
    expect(plain(report)).toEqual({
      "src/main/java/com/shop/Cart.java": { 6: 1, 7: 1, 10: 1, 11: 0, 13: 1, 14: 1, 17: 1, 24: 1, 25: 1, 26: 1, 27: 1, 30: 1 },
    });
  });

  const cobertura = (sources: string[], filename: string) =>
    `<?xml version="1.0" ?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage line-rate="1" branch-rate="0" version="7.4" timestamp="1">
  <sources>${sources.map((s) => `<source>${s}</source>`).join("")}</sources>
  <packages><package name="p"><classes>
    <class name="c" filename="${filename}"><methods/><lines><line number="3" hits="2"/></lines></class>
  </classes></package></packages>
</coverage>`;

  it.each([
    { case: "absolute source inside the workspace", sources: ["/repo/src"], filename: "shop/cart.py", expected: "src/shop/cart.py" },
    { case: "the workspace itself as source", sources: ["/repo"], filename: "cart.py", expected: "cart.py" },
    { case: "relative source", sources: ["src/main/java"], filename: "com/a/B.java", expected: "src/main/java/com/a/B.java" },
    { case: "'.' as source", sources: ["."], filename: "./lib/a.py", expected: "lib/a.py" },
    { case: "no <source>", sources: [], filename: "lib/a.py", expected: "lib/a.py" },
    { case: "absolute filename ignores the source", sources: ["/elsewhere"], filename: "/repo/lib/a.py", expected: "lib/a.py" },
    { case: "Windows source with backslashes", sources: ["C:\\ci\\repo\\src"], filename: "pkg\\mod.py", expected: "src/pkg/mod.py", root: "c:\\ci\\repo" },
    { case: "first source inside the workspace wins", sources: ["/other", "/repo/a", "/repo/b"], filename: "x.py", expected: "a/x.py" },
  ])("resolves class filenames: $case", ({ sources, filename, expected, root }) => {
    const report = parseCoverage("cobertura", cobertura(sources, filename), { root: root ?? "/repo" });
    expect([...report.keys()]).toEqual([expected]);
  });

  it("asks fileExists which of several source directories holds a file", () => {
    const report = parseCoverage("cobertura", cobertura(["/repo/a", "/repo/b"], "x.py"), { root: "/repo", fileExists: (file) => file === "b/x.py" });
    expect([...report.keys()]).toEqual(["b/x.py"]);
  });

  it("drops classes whose file lies outside the workspace", () => {
    expect(parseCoverage("cobertura", cobertura(["/usr/lib/python3/site-packages"], "six.py"), { root: "/repo" }).size).toBe(0);
  });
});

describe("paths", () => {
  const lcovOf = (...files: string[]) => files.map((file) => `SF:${file}\nDA:1,1\nend_of_record\n`).join("");
  const pathsOf = (files: string[], root: string) => [...parseCoverage("lcov", lcovOf(...files), { root }).keys()];

  it.each([
    { case: "absolute under the root", file: "/work/repo/src/a.ts", root: "/work/repo", expected: ["src/a.ts"] },
    { case: "root with a trailing slash", file: "/work/repo/src/a.ts", root: "/work/repo/", expected: ["src/a.ts"] },
    { case: "./ prefix", file: "./src/a.ts", root: "/work/repo", expected: ["src/a.ts"] },
    { case: "backslashes", file: "src\\lib\\a.ts", root: "/work/repo", expected: ["src/lib/a.ts"] },
    { case: "dot segments", file: "/work/repo/src/../lib/./a.ts", root: "/work/repo", expected: ["lib/a.ts"] },
    { case: "Windows absolute, drive letter case differs", file: "C:\\ci\\repo\\src\\a.ts", root: "c:/ci/repo", expected: ["src/a.ts"] },
    { case: "file: URL", file: "file:///work/repo/src/my%20file.ts", root: "/work/repo", expected: ["src/my file.ts"] },
    { case: "outside the root", file: "/work/other/src/a.ts", root: "/work/repo", expected: [] },
    { case: "sibling directory sharing the root's prefix", file: "/work/repo2/src/a.ts", root: "/work/repo", expected: [] },
    { case: "relative path climbing out", file: "../shared/a.ts", root: "/work/repo", expected: [] },
    { case: "absolute path climbing out", file: "/work/repo/../x/a.ts", root: "/work/repo", expected: [] },
    { case: "node_modules stays (it is inside the workspace)", file: "/work/repo/node_modules/x/i.js", root: "/work/repo", expected: ["node_modules/x/i.js"] },
  ])("$case", ({ file, root, expected }) => {
    expect(pathsOf([file], root)).toEqual(expected);
  });

  it("merges an absolute and a relative key for the same file", () => {
    const statement = { statementMap: { "0": { start: { line: 1, column: 0 }, end: { line: 1, column: 1 } } }, s: { "0": 1 } };
    const text = JSON.stringify({ "/repo/a.js": statement, "a.js": statement });
    expect(plain(parseCoverage("istanbul-json", text, { root: "/repo" }))).toEqual({ "a.js": { 1: 2 } });
  });

  it("refuses a relative workspace root", () => {
    expect(() => parseCoverage("lcov", "", { root: "repo" })).toThrow(/absolute path/);
  });
});

describe("malformed reports", () => {
  const istanbulFile = (overrides: Record<string, unknown>) =>
    JSON.stringify({ "/repo/a.js": { path: "/repo/a.js", statementMap: { "0": { start: { line: 2, column: 0 }, end: { line: 2, column: 9 } } }, s: { "0": 1 }, ...overrides } });

  it.each<{ format: CoverageFormat; case: string; text: string; message: RegExp }>([
    { format: "istanbul-json", case: "not JSON", text: "SF:a.js", message: /^Istanbul JSON: not valid JSON/ },
    { format: "istanbul-json", case: "empty", text: "", message: /^Istanbul JSON: not valid JSON/ },
    { format: "istanbul-json", case: "an array", text: "[]", message: /expected an object keyed by file path .* found an array/ },
    { format: "istanbul-json", case: "an entry that is no object", text: '{"/repo/a.js": 5}', message: /the entry for "\/repo\/a.js" is not an object/ },
    { format: "istanbul-json", case: "no statementMap", text: istanbulFile({ statementMap: undefined }), message: /"\/repo\/a.js" has no statementMap object/ },
    { format: "istanbul-json", case: "no s", text: istanbulFile({ s: undefined }), message: /"\/repo\/a.js" has no "s" object/ },
    { format: "istanbul-json", case: "statement without a start line", text: istanbulFile({ statementMap: { "0": { end: { line: 1 } } } }), message: /statement "0" of "\/repo\/a.js" has no valid start line/ },
    { format: "istanbul-json", case: "line 0", text: istanbulFile({ statementMap: { "0": { start: { line: 0, column: 0 } } } }), message: /no valid start line \(found 0\)/ },
    { format: "istanbul-json", case: "hit count missing", text: istanbulFile({ s: {} }), message: /statement "0" of "\/repo\/a.js" has no valid hit count in "s" \(found undefined\)/ },
    { format: "istanbul-json", case: "negative hit count", text: istanbulFile({ s: { "0": -1 } }), message: /no valid hit count in "s" \(found -1\)/ },
    { format: "istanbul-json", case: "count for an unknown statement", text: istanbulFile({ s: { "0": 1, "7": 1 } }), message: /counts statement "7", which statementMap does not have/ },
    { format: "lcov", case: "DA before SF", text: "DA:1,1\n", message: /^lcov line 1: "DA:1,1" is outside a file record/ },
    { format: "lcov", case: "line number not a number", text: "SF:a.js\nDA:x,1\nend_of_record\n", message: /^lcov line 2: "DA:x,1" is not DA:<line number>,<hit count>/ },
    { format: "lcov", case: "no hit count", text: "SF:a.js\nDA:3\nend_of_record\n", message: /^lcov line 2: "DA:3" is not DA/ },
    { format: "lcov", case: "negative hit count", text: "SF:a.js\nDA:3,-1\nend_of_record\n", message: /^lcov line 2: "DA:3,-1"/ },
    { format: "lcov", case: "end_of_record alone", text: "TN:\nend_of_record\n", message: /^lcov line 2: end_of_record without a file record/ },
    { format: "lcov", case: "SF inside a record", text: "SF:a.js\nDA:1,1\nSF:b.js\n", message: /^lcov line 3: a new file record starts before the record for "a.js" ended/ },
    { format: "lcov", case: "truncated", text: "SF:a.js\nDA:1,1\nDA:2,", message: /^lcov line 3: "DA:2,"/ },
    { format: "lcov", case: "no end_of_record at the end", text: "SF:a.js\nDA:1,1\n", message: /^lcov: the report ends inside the record for "a.js" \(no end_of_record; truncated\?\)/ },
    { format: "lcov", case: "not lcov at all", text: '{"/repo/a.js": {}}', message: /^lcov line 1: "\{"\/repo\/a.js": \{\}\}" is not an lcov record/ },
    { format: "lcov", case: "SF without a path", text: "SF:\nend_of_record\n", message: /^lcov line 1: SF without a file path/ },
    { format: "cobertura", case: "empty", text: "", message: /^Cobertura XML: not well-formed XML: the document is empty/ },
    { format: "cobertura", case: "not XML", text: "SF:a.js\nDA:1,1", message: /^Cobertura XML: not well-formed XML: .* at line 1/ },
    { format: "cobertura", case: "truncated", text: '<coverage><packages><package name="p"><classes>', message: /the document ends while <coverage>, <packages>, <package>, <classes> are still open \(truncated\?\)/ },
    { format: "cobertura", case: "mismatched tags", text: "<coverage>\n<sources></packages></coverage>", message: /Expected closing tag 'sources' .* at line 2, column \d+/ },
    { format: "cobertura", case: "another root element", text: "<report><package/></report>", message: /^Cobertura XML: the root element must be <coverage>, found <report>/ },
    { format: "cobertura", case: "class without filename", text: '<coverage><packages><package name="p"><classes><class name="C"/></classes></package></packages></coverage>', message: /<class name="C"> in package "p" has no filename attribute/ },
    { format: "cobertura", case: "line number not a number", text: '<coverage><packages><package><classes><class filename="a.py"><lines><line number="x" hits="1"/></lines></class></classes></package></packages></coverage>', message: /a <line> of a\.py has number="x", not a line number/ },
    { format: "cobertura", case: "hits not a number", text: '<coverage><packages><package><classes><class filename="a.py"><lines><line number="4" hits="many"/></lines></class></classes></package></packages></coverage>', message: /line 4 of a\.py has hits="many", not a whole number/ },
    { format: "cobertura", case: "hits missing", text: '<coverage><packages><package><classes><class filename="a.py"><lines><line number="4"/></lines></class></classes></package></packages></coverage>', message: /line 4 of a\.py has hits="", not a whole number/ },
  ])("$format, $case", ({ format, text, message }) => {
    let thrown: unknown;
    try {
      parseCoverage(format, text, { root: "/repo" });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CoverageParseError);
    expect((thrown as Error).message).toMatch(message);
  });

  it("names an unknown format", () => {
    expect(() => parseCoverage("clover" as CoverageFormat, "", { root: "/repo" })).toThrow(new CoverageParseError('unknown coverage format "clover"; expected one of istanbul-json, lcov, cobertura'));
  });
});
