import type { DiffFile, DiffHunk } from "@/lib/diff/unified-diff";
import { severityRank, type Finding } from "./types";

export interface FileFindings {
  /** Findings on a line shown in the diff, by its new line number. */
  byLine: Map<number, Finding[]>;
  /** Findings for the file with no line, or a line outside the hunks: shown above the file. */
  unanchored: Finding[];
  count: number;
  worst: number;
}

export interface OrderedFile {
  file: DiffFile;
  findings: FileFindings;
  /** The file's hunks, those with findings first (otherwise in file order). */
  hunks: DiffHunk[];
  changedLines: number;
}

function newLinesOf(file: DiffFile): Set<number> {
  const lines = new Set<number>();
  for (const hunk of file.hunks) for (const line of hunk.lines) if (line.newLine !== null) lines.add(line.newLine);
  return lines;
}

function findingsFor(file: DiffFile, findings: Finding[]): FileFindings {
  const shown = newLinesOf(file);
  const result: FileFindings = { byLine: new Map(), unanchored: [], count: 0, worst: 0 };
  for (const finding of findings) {
    if (finding.file !== file.path && finding.file !== file.oldPath) continue;
    result.count++;
    result.worst = Math.max(result.worst, severityRank[finding.severity] ?? 0);
    if (finding.line !== null && shown.has(finding.line)) {
      const list = result.byLine.get(finding.line) ?? [];
      list.push(finding);
      result.byLine.set(finding.line, list);
    } else {
      result.unanchored.push(finding);
    }
  }
  for (const list of result.byLine.values()) list.sort((a, b) => (severityRank[b.severity] ?? 0) - (severityRank[a.severity] ?? 0));
  return result;
}

const hunkHasFindings = (hunk: DiffHunk, byLine: Map<number, Finding[]>) => hunk.lines.some((l) => l.newLine !== null && byLine.has(l.newLine));

/**
 * Riskiest first: files with a critical or high finding, then by number of findings, then by
 * size of the change. A reviewer reads from the top and may stop; the top must be what matters.
 */
export function orderFilesByRisk(files: DiffFile[], findings: Finding[]): OrderedFile[] {
  const highRank = severityRank.high;
  return files
    .map((file) => {
      const fileFindings = findingsFor(file, findings);
      const withFindings = file.hunks.filter((h) => hunkHasFindings(h, fileFindings.byLine));
      const without = file.hunks.filter((h) => !hunkHasFindings(h, fileFindings.byLine));
      return { file, findings: fileFindings, hunks: [...withFindings, ...without], changedLines: file.additions + file.deletions };
    })
    .sort(
      (a, b) =>
        Number(b.findings.worst >= highRank) - Number(a.findings.worst >= highRank) ||
        b.findings.count - a.findings.count ||
        b.changedLines - a.changedLines,
    );
}
