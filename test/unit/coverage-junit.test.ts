import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { JUnitParseError, parseJUnitXml } from "@/lib/coverage/junit-results";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/coverage");
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");

describe("JUnit XML from real reporters", () => {
  it("Node's test runner: nested suites, top-level tests, failure attribute and child, skip and todo", () => {
    expect(parseJUnitXml(fixture("node-test.junit.xml"))).toEqual({
      total: 8,
      passed: 5,
      failed: 1,
      errored: 0,
      skipped: 2, // it.skip and it.todo
      failures: [
        {
          name: "takes ten off with TENOFF",
          classname: "test",
          file: null,
          message: "Expected values to be strictly equal:30 !== 25",
          kind: "failure",
          suite: "discount",
        },
      ],
    });
  });

  it("pytest: a failed assertion, a fixture error, a skip", () => {
    expect(parseJUnitXml(fixture("pytest.junit.xml"))).toEqual({
      total: 5,
      passed: 2,
      failed: 1,
      errored: 1,
      skipped: 1,
      failures: [
        { name: "test_restock_adds", classname: "tests.test_stock", file: null, message: "assert 5 == 4", kind: "failure", suite: "pytest" },
        {
          name: "test_uses_broken_fixture",
          classname: "tests.test_stock",
          file: null,
          message: 'failed on setup with "RuntimeError: database unavailable"',
          kind: "error",
          suite: "pytest",
        },
      ],
    });
  });

  it("vitest: one suite per file, a file that fails to import, nested describe names", () => {
    const results = parseJUnitXml(fixture("vitest.junit.xml"));
    expect({ ...results, failures: results.failures.map((f) => [f.name, f.classname, f.message]) }).toEqual({
      total: 7,
      passed: 4,
      failed: 2,
      errored: 0,
      skipped: 1,
      failures: [
        ["test/format.test.js", "test/format.test.js", "Cannot find module '../src/format.js' imported from /tmp/tiny-vitest/test/format.test.js"],
        ["discount > takes ten off with TENOFF", "test/pricing.test.js", "expected 30 to be 25 // Object.is equality"],
      ],
    });
  });
});

describe("JUnit XML shapes", () => {
  it("reads a lone <testsuite> root", () => {
    const xml = `<?xml version="1.0"?>
<testsuite name="jest tests" tests="2">
  <testcase classname="cart adds" name="cart adds" time="0.01"/>
  <testcase classname="cart removes" name="cart removes" time="0.01"><failure>Error: expected 1 to be 0
    at Object.&lt;anonymous&gt; (cart.test.js:9:3)</failure></testcase>
</testsuite>`;
    expect(parseJUnitXml(xml)).toEqual({
      total: 2,
      passed: 1,
      failed: 1,
      errored: 0,
      skipped: 0,
      failures: [{ name: "cart removes", classname: "cart removes", file: null, message: "Error: expected 1 to be 0", kind: "failure", suite: "jest tests" }],
    });
  });

  it("takes the file from the testcase, else the nearest suite that names one", () => {
    const xml = `<testsuites>
  <testsuite name="outer" file="test/outer.test.ts">
    <testsuite name="inner">
      <testcase name="a"><failure message="boom"/></testcase>
      <testcase name="b" file="test/b.test.ts"><error message="no db"/></testcase>
    </testsuite>
  </testsuite>
  <testsuite name="no file"><testcase name="c"><failure type="AssertionError"/></testcase></testsuite>
</testsuites>`;
    expect(parseJUnitXml(xml).failures.map((f) => [f.name, f.file, f.suite, f.kind, f.message])).toEqual([
      ["a", "test/outer.test.ts", "inner", "failure", "boom"],
      ["b", "test/b.test.ts", "inner", "error", "no db"],
      ["c", null, "no file", "failure", "AssertionError"],
    ]);
  });

  it("counts a testcase with both <failure> and <error> once, as failed; a failure attribute alone fails it", () => {
    const xml = `<testsuites>
  <testcase name="both"><failure message="assert"/><error message="teardown"/></testcase>
  <testcase name="node style" failure="it broke"/>
  <testcase name="skipped and errored"><skipped/><error/></testcase>
</testsuites>`;
    const results = parseJUnitXml(xml);
    expect([results.total, results.passed, results.failed, results.errored, results.skipped]).toEqual([3, 0, 2, 1, 0]);
    expect(results.failures.map((f) => [f.name, f.kind, f.message])).toEqual([
      ["both", "failure", "assert"],
      ["node style", "failure", "it broke"],
      ["skipped and errored", "error", "errored"],
    ]);
  });

  it("decodes character references in messages and ignores properties and output", () => {
    const xml = `<testsuites><testsuite name="s"><properties><property name="x" value="1"/></properties>
  <testcase name="t &amp; u"><failure message="line one&#10;line &quot;two&quot;"/><system-out>noise</system-out></testcase>
  <system-err>more noise</system-err></testsuite></testsuites>`;
    const results = parseJUnitXml(xml);
    expect(results.total).toBe(1);
    expect(results.failures[0]).toMatchObject({ name: "t & u", message: 'line one\nline "two"' });
  });

  it("reads an empty run as zero tests", () => {
    expect(parseJUnitXml('<testsuites name="vitest tests" tests="0"></testsuites>')).toEqual({ total: 0, passed: 0, failed: 0, errored: 0, skipped: 0, failures: [] });
  });

  it.each([
    { case: "empty", xml: "", message: "JUnit XML: not well-formed XML: the document is empty" },
    { case: "truncated", xml: '<testsuites><testsuite name="a"><testcase name="b">', message: "JUnit XML: not well-formed XML: the document ends while <testsuites>, <testsuite>, <testcase> are still open (truncated?)" },
    { case: "another root", xml: "<coverage/>", message: "JUnit XML: the root element must be <testsuites> or <testsuite>, found <coverage>" },
    { case: "two roots", xml: "<testsuite/><testsuite/>", message: "JUnit XML: not well-formed XML: expected one root element, found 2" },
  ])("refuses malformed input: $case", ({ xml, message }) => {
    expect(() => parseJUnitXml(xml)).toThrow(new JUnitParseError(message));
  });
});
