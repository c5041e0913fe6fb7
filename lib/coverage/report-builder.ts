import type { CoverageReport, FileLineCoverage } from "./coverage-report";

/** Collects line hits per file; a file or line seen twice has its hits added up. */
export class CoverageReportBuilder {
  readonly report: CoverageReport = new Map();

  /** The line map of a file, created on first use, for a parser's inner loop. */
  linesOf(path: string): Map<number, number> {
    let file: FileLineCoverage | undefined = this.report.get(path);
    if (!file) {
      file = { path, lines: new Map() };
      this.report.set(path, file);
    }
    return file.lines;
  }
}

export function addHits(lines: Map<number, number>, line: number, hits: number) {
  const before = lines.get(line);
  lines.set(line, before === undefined ? hits : before + hits);
}

/** A count as tools write it: a whole number from 0 up. */
export function parseCount(value: unknown): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== "string" || !/^\d+$/.test(value)) return null;
  const count = Number(value);
  return Number.isSafeInteger(count) ? count : null;
}

/** A line number: a whole number from 1 up. */
export function parseLineNumber(value: unknown): number | null {
  const line = parseCount(value);
  return line !== null && line >= 1 ? line : null;
}
