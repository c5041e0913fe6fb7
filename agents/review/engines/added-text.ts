/**
 * A file's added lines as one text (what the secret scanners read, as gitleaks reads a fragment),
 * with a way back from an offset in that text to the line it falls on.
 */
import type { NumberedLine } from "../file-view";

export interface AddedText {
  text: string;
  lines: NumberedLine[];
  /** The added line holding offset `at` of `text`. */
  lineAt(at: number): NumberedLine;
  /** The index in `lines` of the line holding offset `at`. */
  indexAt(at: number): number;
  /** Where line `index` starts in `text`. */
  offsetOf(index: number): number;
}

export function linesOf(lines: NumberedLine[]): AddedText {
  const starts: number[] = [];
  let offset = 0;
  for (const line of lines) {
    starts.push(offset);
    offset += line.content.length + 1;
  }
  // Binary search: the last line starting at or before `at`.
  const indexAt = (at: number) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= at) low = mid;
      else high = mid - 1;
    }
    return low;
  };
  return {
    text: lines.map((l) => l.content).join("\n"),
    lines,
    lineAt: (at) => lines[indexAt(at)],
    indexAt,
    offsetOf: (index) => starts[index],
  };
}
