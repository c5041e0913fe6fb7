import type { DiffFile, ParsedDiff } from "../diff/unified-diff";
import type { CoverageReport } from "./coverage-report";
import { commentSyntaxOf, isSourceFile, isTestFile } from "./source-files";
import { CodeLineClassifier } from "./source-lines";

export { isSourceFile, isTestFile };

export interface FileChangedCoverage {
  /** The new path (renames use the new path; a deleted file keeps its old one). */
  path: string;
  /**
   * measured: in the report with executable changed lines. not_in_report: a source file the
   * tests never loaded. no_executable_changes: nothing executable was added (comments, blank
   * lines, a pure rename, deletions only). test_file: test code, not counted. deleted: gone.
   */
  status: "measured" | "not_in_report" | "no_executable_changes" | "test_file" | "deleted";
  /** Lines added in the new file (a modified line is a deletion plus an addition; only the addition counts). */
  changedLines: number;
  /** Of those, executable. */
  executable: number;
  covered: number;
  /** covered / executable × 100, unrounded; null when nothing executable changed. */
  percent: number | null;
  uncoveredLines: number[];
  /** Consecutive uncovered lines merged, inclusive. */
  uncoveredRanges: Array<[number, number]>;
}

export interface ChangedLineCoverage {
  files: FileChangedCoverage[];
  executable: number;
  covered: number;
  percent: number | null;
}

const percentOf = (covered: number, executable: number) => (executable === 0 ? null : (covered / executable) * 100);

function mergeRanges(lines: number[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const line of lines) {
    const last = ranges.at(-1);
    if (last && line === last[1] + 1) last[1] = line;
    else ranges.push([line, line]);
  }
  return ranges;
}

function uncounted(path: string, status: "test_file" | "deleted", changedLines: number): FileChangedCoverage {
  return { path, status, changedLines, executable: 0, covered: 0, percent: null, uncoveredLines: [], uncoveredRanges: [] };
}

/**
 * One source file's added lines against its coverage. A line counts as executable when it is code
 * (not blank, not a whole-line comment) and:
 * - the file is in the report and the report lists the line. V8-based tools (Node's test runner,
 *   c8, vitest's v8 provider) list every line of a loaded file, blank lines and comments
 *   included; the code check keeps those out so that all formats agree on what a changed line
 *   of code is. Istanbul instrumentation, coverage.py and JaCoCo never list such lines anyway.
 * - the file is not in the report at all: the tests never loaded it, so none of its code ran.
 *   Every added code line is then uncovered, rather than the file silently dropping out of the
 *   percentage (which would reward changes that no test touches).
 */
function measureFile(file: DiffFile, reportLines: Map<number, number> | undefined): FileChangedCoverage {
  const classifier = new CodeLineClassifier(commentSyntaxOf(file.path)!);
  let changedLines = 0;
  let executable = 0;
  let covered = 0;
  const uncoveredLines: number[] = [];
  for (const hunk of file.hunks) {
    classifier.startHunk(hunk.newStart);
    for (const line of hunk.lines) {
      if (line.kind === "del") continue;
      const isCode = classifier.isCode(line.content);
      if (line.kind !== "add") continue;
      changedLines++;
      if (!isCode) continue;
      const hits = reportLines === undefined ? 0 : reportLines.get(line.newLine!);
      if (hits === undefined) continue;
      executable++;
      if (hits > 0) covered++;
      else uncoveredLines.push(line.newLine!);
    }
  }
  const status = executable === 0 ? "no_executable_changes" : reportLines === undefined ? "not_in_report" : "measured";
  return { path: file.path, status, changedLines, executable, covered, percent: percentOf(covered, executable), uncoveredLines, uncoveredRanges: mergeRanges(uncoveredLines) };
}

/**
 * Maps a coverage report onto a diff: per changed source file, which added executable lines the
 * tests ran, and the changed-line coverage per file and overall.
 *
 * Files that are not program source (docs, JSON, YAML, lockfiles, .d.ts; see isSourceFile) are
 * left out of `files` altogether: they have no lines to cover, and listing them would bury the
 * files that matter. Deleted files are listed as "deleted" and test files as "test_file", neither
 * counted in the totals. Cost: one Map lookup per added line, nothing proportional to the report.
 */
export function mapCoverageToDiff(diff: ParsedDiff, report: CoverageReport): ChangedLineCoverage {
  const files: FileChangedCoverage[] = [];
  let executable = 0;
  let covered = 0;
  for (const file of diff.files) {
    if (!isSourceFile(file.path)) continue;
    if (file.status === "deleted") {
      files.push(uncounted(file.path, "deleted", 0));
      continue;
    }
    if (isTestFile(file.path)) {
      files.push(uncounted(file.path, "test_file", file.additions));
      continue;
    }
    const measured = measureFile(file, report.get(file.path)?.lines);
    files.push(measured);
    executable += measured.executable;
    covered += measured.covered;
  }
  return { files, executable, covered, percent: percentOf(covered, executable) };
}
