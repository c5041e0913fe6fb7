/**
 * Parses a unified diff as `git diff` writes it (with or without the `diff --git` headers) into
 * files, hunks and numbered lines. Throws DiffParseError, naming the line, on anything malformed.
 */

export type DiffLineKind = "add" | "del" | "context";

export interface DiffLine {
  kind: DiffLineKind;
  content: string;
  /** Line number in the old file (context and deleted lines). */
  oldLine: number | null;
  /** Line number in the new file (context and added lines). */
  newLine: number | null;
}

export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  header: string;
  lines: DiffLine[];
}

export type FileStatus = "added" | "deleted" | "modified" | "renamed";

export interface DiffFile {
  oldPath: string | null;
  newPath: string | null;
  /** The path to show: the new path, or the old one for a deletion. */
  path: string;
  status: FileStatus;
  binary: boolean;
  hunks: DiffHunk[];
  additions: number;
  deletions: number;
  /**
   * The file modes git's extended headers state (`new file mode 120000` is a symlink, `new mode
   * 100755` makes a file executable), when they do: a reader of the change should see them.
   */
  mode?: { old: string | null; new: string | null };
}

export interface ParsedDiff {
  files: DiffFile[];
  additions: number;
  deletions: number;
}

export class DiffParseError extends Error {
  constructor(
    message: string,
    readonly lineNumber: number,
  ) {
    super(`${message} (diff line ${lineNumber})`);
    this.name = "DiffParseError";
  }
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;

function stripPrefix(path: string): string | null {
  const trimmed = path.replace(/\t.*$/, "").trim();
  if (trimmed === "/dev/null") return null;
  return trimmed.replace(/^"(.*)"$/, "$1").replace(/^[ab]\//, "");
}

function newFile(): DiffFile {
  return { oldPath: null, newPath: null, path: "", status: "modified", binary: false, hunks: [], additions: 0, deletions: 0 };
}

function finish(file: DiffFile, files: DiffFile[]) {
  if (file.oldPath === null && file.newPath === null) return;
  if (file.status === "modified") {
    if (file.oldPath === null) file.status = "added";
    else if (file.newPath === null) file.status = "deleted";
    else if (file.oldPath !== file.newPath) file.status = "renamed";
  }
  file.path = file.newPath ?? file.oldPath ?? "";
  files.push(file);
}

export function parseUnifiedDiff(text: string): ParsedDiff {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  if (lines.at(-1) === "") lines.pop();
  const files: DiffFile[] = [];
  let file: DiffFile | null = null;
  let hunk: DiffHunk | null = null;
  let oldRemaining = 0;
  let newRemaining = 0;
  let oldLine = 0;
  let newLine = 0;

  const closeHunk = (at: number) => {
    if (hunk && (oldRemaining > 0 || newRemaining > 0)) {
      throw new DiffParseError(`hunk "${hunk.header.trim()}" ends early: ${oldRemaining} old and ${newRemaining} new lines missing`, at);
    }
    hunk = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const at = i + 1;
    if (hunk && (oldRemaining > 0 || newRemaining > 0)) {
      const marker = line[0] ?? " ";
      const content = line.slice(1);
      const current: DiffHunk = hunk;
      if (marker === "+") {
        current.lines.push({ kind: "add", content, oldLine: null, newLine: newLine++ });
        newRemaining--;
        file!.additions++;
      } else if (marker === "-") {
        current.lines.push({ kind: "del", content, oldLine: oldLine++, newLine: null });
        oldRemaining--;
        file!.deletions++;
      } else if (marker === " " || line === "") {
        current.lines.push({ kind: "context", content, oldLine: oldLine++, newLine: newLine++ });
        oldRemaining--;
        newRemaining--;
      } else if (marker === "\\") {
        // "\ No newline at end of file"
      } else {
        throw new DiffParseError(`unexpected line inside a hunk: "${line.slice(0, 40)}"`, at);
      }
      if (oldRemaining < 0 || newRemaining < 0) throw new DiffParseError("hunk has more lines than its header says", at);
      continue;
    }
    if (line.startsWith("\\")) continue;

    if (line.startsWith("diff --git ")) {
      closeHunk(at);
      if (file) finish(file, files);
      file = newFile();
      const match = /^diff --git (?:"?a\/(.+?)"?) (?:"?b\/(.+?)"?)$/.exec(line);
      if (match) {
        file.oldPath = match[1];
        file.newPath = match[2];
      }
      continue;
    }
    if (line.startsWith("--- ")) {
      closeHunk(at);
      if (!file || file.hunks.length > 0 || (file.binary && !line.startsWith("--- "))) {
        if (file) finish(file, files);
        file = newFile();
      }
      const next = lines[i + 1];
      if (!next?.startsWith("+++ ")) throw new DiffParseError('"---" header without a following "+++" header', at);
      file.oldPath = stripPrefix(line.slice(4));
      file.newPath = stripPrefix(next.slice(4));
      i++;
      continue;
    }
    if (!file) {
      if (line.trim() === "") continue;
      throw new DiffParseError(`expected a "diff --git" or "---" header, found "${line.slice(0, 40)}"`, at);
    }
    const header = HUNK_HEADER.exec(line);
    if (header) {
      if (file.oldPath === null && file.newPath === null) throw new DiffParseError("hunk before any file header", at);
      hunk = {
        oldStart: Number(header[1]),
        oldLines: header[2] === undefined ? 1 : Number(header[2]),
        newStart: Number(header[3]),
        newLines: header[4] === undefined ? 1 : Number(header[4]),
        header: line,
        lines: [],
      };
      file.hunks.push(hunk);
      oldRemaining = hunk.oldLines;
      newRemaining = hunk.newLines;
      oldLine = hunk.oldStart;
      newLine = hunk.newStart;
      continue;
    }
    if (line.startsWith("@@")) throw new DiffParseError(`malformed hunk header "${line.slice(0, 40)}"`, at);
    if (/^Binary files .* differ$/.test(line) || line === "GIT binary patch") {
      file.binary = true;
      const match = /^Binary files (.+) and (.+) differ$/.exec(line);
      if (match) {
        file.oldPath ??= stripPrefix(match[1]);
        file.newPath ??= stripPrefix(match[2]);
        if (match[1] === "/dev/null") file.oldPath = null;
        if (match[2] === "/dev/null") file.newPath = null;
      }
      continue;
    }
    if (line.startsWith("new file mode")) {
      file.status = "added";
      file.oldPath = null;
      file.mode = { old: null, new: line.slice("new file mode ".length).trim() };
      continue;
    }
    if (line.startsWith("deleted file mode")) {
      file.status = "deleted";
      file.newPath = null;
      file.mode = { old: line.slice("deleted file mode ".length).trim(), new: null };
      continue;
    }
    if (line.startsWith("old mode ") || line.startsWith("new mode ")) {
      file.mode ??= { old: null, new: null };
      file.mode[line.startsWith("old") ? "old" : "new"] = line.slice("old mode ".length).trim();
      continue;
    }
    if (line.startsWith("rename from ")) {
      file.status = "renamed";
      file.oldPath = line.slice("rename from ".length);
      continue;
    }
    if (line.startsWith("rename to ")) {
      file.status = "renamed";
      file.newPath = line.slice("rename to ".length);
      continue;
    }
    // index, mode, similarity and other extended headers carry nothing we need; binary patch
    // payload lines are skipped too.
  }
  closeHunk(lines.length);
  if (file) finish(file, files);
  if (files.length === 0) throw new DiffParseError("no files in the diff", 1);
  return {
    files,
    additions: files.reduce((sum, f) => sum + f.additions, 0),
    deletions: files.reduce((sum, f) => sum + f.deletions, 0),
  };
}

/** Added lines of a file with their new line numbers: what a reviewer must look at. */
export function addedLines(file: DiffFile): { line: number; content: string }[] {
  return file.hunks.flatMap((h) => h.lines.filter((l) => l.kind === "add").map((l) => ({ line: l.newLine!, content: l.content })));
}

/** Deleted lines of a file with their old line numbers. */
export function deletedLines(file: DiffFile): { line: number; content: string }[] {
  return file.hunks.flatMap((h) => h.lines.filter((l) => l.kind === "del").map((l) => ({ line: l.oldLine!, content: l.content })));
}

/**
 * One file's diff written back as `git diff` writes it, from its parsed hunks (so the numbers are
 * the hunks' own, after any renumbering), with its mode and rename headers. Index lines and
 * "\ No newline at end of file" markers are not kept.
 */
export function formatDiffFile(file: DiffFile): string {
  const side = (prefix: string, path: string | null) => (path === null ? "/dev/null" : `${prefix}/${path}`);
  const out = [`diff --git a/${file.oldPath ?? file.path} b/${file.newPath ?? file.path}`];
  if (file.status === "added" && file.mode?.new) out.push(`new file mode ${file.mode.new}`);
  else if (file.status === "deleted" && file.mode?.old) out.push(`deleted file mode ${file.mode.old}`);
  else if (file.mode) out.push(...(file.mode.old ? [`old mode ${file.mode.old}`] : []), ...(file.mode.new ? [`new mode ${file.mode.new}`] : []));
  if (file.status === "renamed") out.push(`rename from ${file.oldPath}`, `rename to ${file.newPath}`);
  out.push(`--- ${side("a", file.oldPath)}`, `+++ ${side("b", file.newPath)}`);
  for (const hunk of file.hunks) {
    const oldLines = hunk.lines.filter((l) => l.kind !== "add").length;
    const newLines = hunk.lines.filter((l) => l.kind !== "del").length;
    // The text after the second "@@" (the enclosing function git names) is kept as it was.
    const trailer = hunk.header.replace(/^@@ [^@]* @@/, "");
    out.push(`@@ -${hunk.oldStart},${oldLines} +${hunk.newStart},${newLines} @@${trailer}`);
    for (const line of hunk.lines) out.push(`${line.kind === "add" ? "+" : line.kind === "del" ? "-" : " "}${line.content}`);
  }
  return `${out.join("\n")}\n`;
}
