import { describeXmlSyntaxError, parseXmlDocument, XmlSyntaxError, type XmlElement } from "./xml-document";

/**
 * Test results from JUnit XML, which vitest (--reporter=junit), jest-junit, pytest (--junitxml)
 * and Node's test runner (--test-reporter=junit) all write.
 */

export interface FailedTest {
  name: string;
  classname: string | null;
  /** The testcase's `file` attribute, else the nearest enclosing <testsuite file>; null when the reporter writes neither. */
  file: string | null;
  message: string;
  // The two fields below are always set by parseJUnitXml; they are optional so that results built
  // by hand (tests, stored runs from before they existed) remain valid.
  /** "failure": an assertion failed; "error": the test could not run (a fixture, an import). */
  kind?: "failure" | "error";
  /** The name of the nearest enclosing <testsuite> (a describe block, a file, a whole run). */
  suite?: string | null;
}

export interface TestSuiteResult {
  total: number;
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
  /** Every failed and errored test, in document order. */
  failures: FailedTest[];
}

export class JUnitParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JUnitParseError";
  }
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
}

/**
 * The one-line reason of a failure: the element's message attribute, else Node's `failure`
 * attribute on the testcase, else the first line of the element's text, else its type.
 */
function failureMessage(testcase: XmlElement, problem: XmlElement | undefined, fallback: string): string {
  return (
    problem?.attributes.message?.trim() ||
    testcase.attributes.failure?.trim() ||
    (problem ? firstLine(problem.text) : "") ||
    problem?.attributes.type?.trim() ||
    fallback
  );
}

function countTestcase(testcase: XmlElement, suite: XmlElement | null, inheritedFile: string | null, tally: TestSuiteResult) {
  tally.total++;
  let failure: XmlElement | undefined;
  let error: XmlElement | undefined;
  let skipped = false;
  for (const child of testcase.children) {
    if (child.name === "failure") failure ??= child;
    else if (child.name === "error") error ??= child;
    else if (child.name === "skipped") skipped = true;
  }
  // Node's reporter also puts the message in a `failure` attribute of the testcase.
  const failed = failure !== undefined || testcase.attributes.failure !== undefined;
  if (!failed && !error) {
    if (skipped) tally.skipped++;
    else tally.passed++;
    return;
  }
  // pytest writes both when a test fails and its teardown errors: it counts once, as failed.
  const kind = failed ? "failure" : "error";
  if (kind === "failure") tally.failed++;
  else tally.errored++;
  tally.failures.push({
    name: testcase.attributes.name ?? "(unnamed test)",
    classname: testcase.attributes.classname ?? null,
    file: testcase.attributes.file ?? inheritedFile,
    message: failureMessage(testcase, kind === "failure" ? failure : error, kind === "failure" ? "failed" : "errored"),
    kind,
    suite: suite?.attributes.name ?? null,
  });
}

function walkSuite(suite: XmlElement, inheritedFile: string | null, tally: TestSuiteResult) {
  const file = suite.attributes.file ?? inheritedFile;
  for (const child of suite.children) {
    if (child.name === "testcase") countTestcase(child, suite.name === "testsuite" ? suite : null, file, tally);
    else if (child.name === "testsuite") walkSuite(child, file, tally);
  }
}

/**
 * Counts testcases, not the suites' own tests/failures attributes: reporters disagree on them
 * (Node counts todo tests as skipped in one place and not in another) and some leave them out.
 * A testcase is failed if it has a <failure> (or Node's `failure` attribute), else errored if it
 * has an <error>, else skipped if it has a <skipped>, else passed.
 */
export function parseJUnitXml(text: string): TestSuiteResult {
  let root: XmlElement;
  try {
    root = parseXmlDocument(text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new JUnitParseError(`JUnit XML: not well-formed XML: ${describeXmlSyntaxError(error)}`);
    throw error;
  }
  if (root.name !== "testsuites" && root.name !== "testsuite") {
    throw new JUnitParseError(`JUnit XML: the root element must be <testsuites> or <testsuite>, found <${root.name}>`);
  }
  const tally: TestSuiteResult = { total: 0, passed: 0, failed: 0, errored: 0, skipped: 0, failures: [] };
  walkSuite(root, null, tally);
  return tally;
}
