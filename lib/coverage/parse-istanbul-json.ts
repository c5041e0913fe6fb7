import { CoverageParseError } from "./coverage-parse-error";
import type { CoverageReport } from "./coverage-report";
import { addHits, CoverageReportBuilder, parseCount, parseLineNumber } from "./report-builder";
import type { ReportPathResolver } from "./report-paths";

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

function fail(message: string): never {
  throw new CoverageParseError(`Istanbul JSON: ${message}`);
}

/**
 * Istanbul's coverage-final.json (nyc, jest, vitest, c8): an object keyed by file path whose
 * entries hold a statementMap and the hit count `s` of each statement.
 *
 * A line is executable when a statement starts on it, and its hits are the largest count of the
 * statements starting on it. This is what istanbul-lib-coverage's own getLineCoverage() does, so
 * a line reads the same here as in the lcov or HTML report Istanbul would write from this file.
 * (`a(); b();` with b never reached counts as covered: line granularity cannot say more.)
 */
export function parseIstanbulJson(text: string, resolvePath: ReportPathResolver): CoverageReport {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    fail(`not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(document)) {
    fail(`expected an object keyed by file path (coverage-final.json), found ${Array.isArray(document) ? "an array" : JSON.stringify(document)?.slice(0, 40)}`);
  }

  const builder = new CoverageReportBuilder();
  for (const [key, value] of Object.entries(document)) {
    // Very old Istanbul versions wrapped each file as { data: { ... } }.
    const entry = isObject(value) && isObject(value.data) ? value.data : value;
    if (!isObject(entry)) fail(`the entry for "${key}" is not an object`);
    const reportedPath = typeof entry.path === "string" && entry.path !== "" ? entry.path : key;
    const { statementMap, s: statementHits } = entry;
    if (!isObject(statementMap)) fail(`"${reportedPath}" has no statementMap object`);
    if (!isObject(statementHits)) fail(`"${reportedPath}" has no "s" object (statement hit counts)`);

    const hitsByLine = new Map<number, number>();
    for (const id in statementMap) {
      const location = statementMap[id];
      const start = isObject(location) && isObject(location.start) ? location.start : undefined;
      const line = parseLineNumber(start?.line);
      if (line === null) fail(`statement "${id}" of "${reportedPath}" has no valid start line (found ${JSON.stringify(start?.line)})`);
      const hits = parseCount(statementHits[id]);
      if (hits === null) fail(`statement "${id}" of "${reportedPath}" has no valid hit count in "s" (found ${JSON.stringify(statementHits[id])})`);
      const before = hitsByLine.get(line);
      if (before === undefined || hits > before) hitsByLine.set(line, hits);
    }
    for (const id in statementHits) {
      if (!(id in statementMap)) fail(`"s" of "${reportedPath}" counts statement "${id}", which statementMap does not have`);
    }

    const path = resolvePath(reportedPath);
    if (path === null) continue;
    const lines = builder.linesOf(path);
    for (const [line, hits] of hitsByLine) addHits(lines, line, hits);
  }
  return builder.report;
}
