import type { DiffFile, DiffHunk } from "../../lib/diff/unified-diff";

/**
 * A file after one file's diff applies to it, as `git apply` applies it: each hunk where its old
 * lines (context and deleted) are found, at its stated line or the nearest line above or below
 * (patches taken from a package apply at an offset when earlier patches moved the code). Returns
 * the head and the file's hunks renumbered to where they applied, which is what `git diff` of the
 * two versions would say. A hunk whose lines are nowhere in the base throws, naming it.
 *
 * The corpus stores each case's base files (their `a/` side) and derives the head from the diff,
 * so the two can never disagree.
 */
export function applyFileDiff(base: string | null, file: DiffFile): { head: string; file: DiffFile } {
  // Lines keep their own ends (a CRLF file stays one, as git keeps it, and so does a file that
  // mixes both); they are compared with the diff's lines without the CR, which the diff parser drops.
  const raw = base === null ? [] : base.split("\n");
  const lines = raw.map((line) => line.replace(/\r$/, ""));
  const out: string[] = [];
  const hunks: DiffHunk[] = [];
  let cursor = 0;
  for (const hunk of file.hunks) {
    const old = hunk.lines.filter((l) => l.kind !== "add").map((l) => l.content);
    const stated = hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1;
    const start = nearestMatch(lines, old, stated, cursor);
    if (start === null) throw new Error(`${file.path}: the hunk at old line ${hunk.oldStart} does not apply`);
    out.push(...raw.slice(cursor, start));
    const newStart = out.length;
    let oldLine = start;
    let newLine = newStart;
    const renumbered = hunk.lines.map((line) => {
      const numbered = { ...line, oldLine: line.kind === "add" ? null : ++oldLine, newLine: line.kind === "del" ? null : ++newLine };
      // A kept line as it was; an added one with the line end of the line before it (or of the
      // file's first line, for a line added at the top).
      if (line.kind === "context") out.push(raw[numbered.oldLine! - 1]);
      if (line.kind === "add") out.push(line.content + ((out.at(-1) ?? raw[0])?.endsWith("\r") ? "\r" : ""));
      return numbered;
    });
    cursor = start + old.length;
    hunks.push({ ...hunk, oldStart: old.length === 0 ? start : start + 1, newStart: newLine === newStart ? newStart : newStart + 1, lines: renumbered });
  }
  out.push(...raw.slice(cursor));
  // A created file's last line ends with a newline, as git writes it.
  const head = base === null ? `${out.join("\n")}\n` : out.join("\n");
  return { head, file: { ...file, hunks } };
}

/** The start of `old` in `lines` nearest to `stated`, not before `from`. */
function nearestMatch(lines: string[], old: string[], stated: number, from: number): number | null {
  const fits = (at: number) => at >= from && at + old.length <= lines.length && old.every((text, i) => lines[at + i] === text);
  for (let offset = 0; offset <= lines.length; offset++) {
    if (fits(stated + offset)) return stated + offset;
    if (offset > 0 && fits(stated - offset)) return stated - offset;
  }
  return null;
}
