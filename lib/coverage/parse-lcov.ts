import { CoverageParseError } from "./coverage-parse-error";
import type { CoverageReport } from "./coverage-report";
import { addHits, CoverageReportBuilder } from "./report-builder";
import type { ReportPathResolver } from "./report-paths";

const RECORD_KEY = /^[A-Z][A-Z_]*$/;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const COMMA = 44;
const CARRIAGE_RETURN = 13;

function fail(lineIndex: number, message: string): never {
  throw new CoverageParseError(`lcov line ${lineIndex + 1}: ${message}`);
}

/**
 * Reads the digits of `text` from `start` up to the first non-digit: the number and where it
 * stopped, or null when there is no digit. Parsing in place avoids a string per DA record, which
 * is most of the garbage (and time) in a large report.
 */
function readCount(text: string, start: number, end: number): { value: number; next: number } | null {
  let value = 0;
  let position = start;
  while (position < end) {
    const code = text.charCodeAt(position);
    if (code < DIGIT_0 || code > DIGIT_9) break;
    value = value * 10 + (code - DIGIT_0);
    position++;
  }
  return position === start || !Number.isSafeInteger(value) ? null : { value, next: position };
}

/**
 * lcov tracefiles (geninfo, Istanbul's lcov reporter, Node's test runner, c8, coverage.py's
 * `lcov`): `SF:<path>` opens a file record, `DA:<line>,<hits>[,<checksum>]` gives a line,
 * `end_of_record` closes it. Function and branch records (FN, FNDA, BRDA, ...) and the summary
 * counts (LF, LH, ...) are not needed for line coverage and are skipped.
 */
export function parseLcov(text: string, resolvePath: ReportPathResolver): CoverageReport {
  const builder = new CoverageReportBuilder();
  let openFile: { reportedPath: string; lines: Map<number, number> | null } | null = null;
  let lineIndex = -1;

  for (let start = 0; start < text.length; ) {
    lineIndex++;
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const next = end + 1;
    if (end > start && text.charCodeAt(end - 1) === CARRIAGE_RETURN) end--;

    if (text.startsWith("DA:", start)) {
      // The hot path: one DA record per executable line.
      if (!openFile) fail(lineIndex, `"${text.slice(start, end)}" is outside a file record (no SF before it)`);
      const line = readCount(text, start + 3, end);
      const hits = line && text.charCodeAt(line.next) === COMMA ? readCount(text, line.next + 1, end) : null;
      // After the hits comes the end of the record or an optional ",<checksum>".
      if (!line || line.value === 0 || !hits || (hits.next !== end && text.charCodeAt(hits.next) !== COMMA)) {
        fail(lineIndex, `"${text.slice(start, end)}" is not DA:<line number>,<hit count>`);
      }
      if (openFile.lines) addHits(openFile.lines, line.value, hits.value);
      start = next;
      continue;
    }

    const record = text.slice(start, end);
    start = next;
    if (record === "end_of_record") {
      if (!openFile) fail(lineIndex, "end_of_record without a file record before it");
      openFile = null;
      continue;
    }
    if (record.trim() === "") continue;
    const colon = record.indexOf(":");
    const key = colon < 0 ? "" : record.slice(0, colon);
    if (!RECORD_KEY.test(key)) fail(lineIndex, `"${record.slice(0, 60)}" is not an lcov record (KEY:value)`);
    if (key === "SF") {
      if (openFile) fail(lineIndex, `a new file record starts before the record for "${openFile.reportedPath}" ended (missing end_of_record)`);
      const reportedPath = record.slice(3);
      if (reportedPath.trim() === "") fail(lineIndex, "SF without a file path");
      const path = resolvePath(reportedPath);
      openFile = { reportedPath, lines: path === null ? null : builder.linesOf(path) };
    }
  }
  if (openFile) throw new CoverageParseError(`lcov: the report ends inside the record for "${openFile.reportedPath}" (no end_of_record; truncated?)`);
  return builder.report;
}
