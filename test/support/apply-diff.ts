import type { DiffFile } from "../../lib/diff/unified-diff";

/**
 * A file after one file's diff applies to it: the corpus stores each case's base files (their
 * `a/` side) and derives the head from the diff, so the two can never disagree. Every context and
 * deleted line is checked against the base; a diff that does not apply throws, naming the line.
 */
export function applyFileDiff(base: string | null, file: DiffFile): string {
  const lines = base === null ? [] : base.replace(/\r\n/g, "\n").split("\n");
  const out: string[] = [];
  let cursor = 0;
  for (const hunk of file.hunks) {
    // A hunk that deletes nothing and keeps no context (oldLines 0) inserts after line oldStart.
    const start = hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1;
    if (start < cursor) throw new Error(`${file.path}: hunk at old line ${hunk.oldStart} overlaps the one before`);
    out.push(...lines.slice(cursor, start));
    cursor = start;
    for (const line of hunk.lines) {
      if (line.kind !== "add") {
        if (lines[cursor] !== line.content) throw new Error(`${file.path}: old line ${cursor + 1} is not what the diff expects`);
        cursor++;
      }
      if (line.kind !== "del") out.push(line.content);
    }
  }
  out.push(...lines.slice(cursor));
  // A created file's last line ends with a newline, as git writes it.
  return base === null ? `${out.join("\n")}\n` : out.join("\n");
}
