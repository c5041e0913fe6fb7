import { CoverageParseError } from "./coverage-parse-error";
import type { CoverageReport } from "./coverage-report";
import { addHits, CoverageReportBuilder, parseCount, parseLineNumber } from "./report-builder";
import type { ReportPathResolver } from "./report-paths";

const RECORD_KEY = /^[A-Z][A-Z_]*$/;

function fail(index: number, message: string): never {
  throw new CoverageParseError(`lcov line ${index + 1}: ${message}`);
}

/**
 * lcov tracefiles (geninfo, Istanbul's lcov reporter, Node's test runner, c8, coverage.py's
 * `lcov`): `SF:<path>` opens a file record, `DA:<line>,<hits>[,<checksum>]` gives a line,
 * `end_of_record` closes it. Function and branch records (FN, FNDA, BRDA, ...) and the summary
 * counts (LF, LH, ...) are not needed for line coverage and are skipped.
 */
export function parseLcov(text: string, resolvePath: ReportPathResolver): CoverageReport {
  const builder = new CoverageReportBuilder();
  const records = text.split("\n");
  let openFile: { reportedPath: string; lines: Map<number, number> | null } | null = null;

  for (let index = 0; index < records.length; index++) {
    const record = records[index].endsWith("\r") ? records[index].slice(0, -1) : records[index];
    if (record.startsWith("DA:")) {
      // The hot path: one DA record per executable line.
      if (!openFile) fail(index, `"${record}" is outside a file record (no SF before it)`);
      const firstComma = record.indexOf(",", 3);
      const secondComma = firstComma < 0 ? -1 : record.indexOf(",", firstComma + 1);
      const line = parseLineNumber(record.slice(3, firstComma < 0 ? undefined : firstComma));
      const hits = firstComma < 0 ? null : parseCount(record.slice(firstComma + 1, secondComma < 0 ? undefined : secondComma));
      if (line === null || hits === null) fail(index, `"${record}" is not DA:<line number>,<hit count>`);
      if (openFile.lines) addHits(openFile.lines, line, hits);
      continue;
    }
    if (record === "end_of_record") {
      if (!openFile) fail(index, "end_of_record without a file record before it");
      openFile = null;
      continue;
    }
    if (record.trim() === "") continue;
    const colon = record.indexOf(":");
    const key = colon < 0 ? "" : record.slice(0, colon);
    if (!RECORD_KEY.test(key)) fail(index, `"${record.slice(0, 60)}" is not an lcov record (KEY:value)`);
    if (key === "SF") {
      if (openFile) fail(index, `a new file record starts before the record for "${openFile.reportedPath}" ended (missing end_of_record)`);
      const reportedPath = record.slice(3);
      if (reportedPath.trim() === "") fail(index, "SF without a file path");
      const path = resolvePath(reportedPath);
      openFile = { reportedPath, lines: path === null ? null : builder.linesOf(path) };
    }
  }
  if (openFile) throw new CoverageParseError(`lcov: the report ends inside the record for "${openFile.reportedPath}" (no end_of_record; truncated?)`);
  return builder.report;
}
