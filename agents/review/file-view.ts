/**
 * What the engines see of one changed file: its path, language, added and deleted lines, and
 * whether it is a test, a doc or generated; plus the line-level helpers several engines share.
 */
import { addedLines, deletedLines, type DiffFile } from "../../lib/diff/unified-diff";
import type { FileSource } from "./repository-sources";

export interface NumberedLine {
  line: number;
  content: string;
}

/** One reviewable file, with the facts every engine needs computed once. */
export interface FileView {
  file: DiffFile;
  /** Where added lines live (the new path, or the old one for a deletion). */
  path: string;
  /** Where deleted lines lived: old line numbers refer to this path. */
  oldPath: string;
  added: NumberedLine[];
  deleted: NumberedLine[];
  isTest: boolean;
  isDoc: boolean;
  /** The whole file before and after, when the repository was readable; the diff only otherwise. */
  source?: FileSource;
}

export const SOURCE_EXTENSIONS = new Set(["ts", "tsx", "js", "jsx", "mjs", "py", "go", "java", "rb", "rs", "kt", "cs"]);
/**
 * Files in a programming language, whether or not the rules read it as source (Perl, PHP and C are
 * read by some engines only): what the strict policy counts deleted logic in.
 */
export const CODE_EXTENSIONS = new Set([...SOURCE_EXTENSIONS, "cjs", "mts", "cts", "php", "pl", "pm", "cgi", "c", "h", "cc", "cpp", "hpp", "swift", "scala", "sh"]);
export const JS_EXTENSIONS = new Set(["ts", "tsx", "js", "jsx", "mjs", "cjs", "mts", "cts"]);
const DOC_EXTENSIONS = new Set(["md", "mdx", "rst", "txt", "adoc"]);
const LOCK_FILES = new Set([
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lockb",
  "cargo.lock",
  "poetry.lock",
  "pipfile.lock",
  "gemfile.lock",
  "composer.lock",
  "go.sum",
]);

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export function extensionOf(path: string): string {
  const name = baseName(path);
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot + 1).toLowerCase();
}

/** A file in one of the languages the rules read as code. */
export function isSourcePath(path: string): boolean {
  return SOURCE_EXTENSIONS.has(extensionOf(path));
}

/** Test files by the conventions of the supported languages. */
export function isTestPath(path: string): boolean {
  const name = baseName(path);
  return (
    /(?:^|\/)(?:tests?|__tests__|specs?|e2e)\//i.test(path) ||
    /\.(?:test|spec)\.[a-z]+$/i.test(name) ||
    /^test_.+\.py$/.test(name) ||
    /_test\.(?:py|go)$/.test(name) ||
    /_spec\.rb$/.test(name) ||
    /Tests?\.(?:java|kt|cs)$/.test(name)
  );
}

/** HTTP endpoints by file location: Next.js route handlers and API pages, and routes/ folders. */
export function isRoutePath(path: string): boolean {
  return (
    /(?:^|\/)app\/(?:.*\/)?route\.[cm]?[jt]sx?$/.test(path) ||
    /(?:^|\/)pages\/api\//.test(path) ||
    /(?:^|\/)routes?\//.test(path)
  );
}

/** Why the rules cannot read a file, or null when they can. */
export function unreviewableReason(file: DiffFile, maxReviewable: number): string | null {
  if (file.binary) return "binary file";
  const generated = generatedReason(file.path);
  if (generated) return generated;
  const changed = file.additions + file.deletions;
  if (changed > maxReviewable) return `${changed} changed lines, more than the ${maxReviewable} the rules read in one file`;
  return null;
}

export function generatedReason(path: string): string | null {
  const name = baseName(path).toLowerCase();
  if (LOCK_FILES.has(name)) return "dependency lock file";
  if (/\.min\.(?:js|css|mjs)$/.test(name) || name.endsWith(".map")) return "minified file";
  if (/(?:^|\/)(?:dist|build|out|\.next|vendor|node_modules)\//.test(path)) return "build output or vendored code";
  // Any path segment naming itself generated: foo.generated.ts, generated/, prisma-generated/.
  if (path.toLowerCase().split("/").some((segment) => segment.includes("generated"))) return "generated file";
  return null;
}

export function viewOf(file: DiffFile, source?: FileSource): FileView {
  const ext = extensionOf(file.path);
  return {
    file,
    path: file.path,
    oldPath: file.oldPath ?? file.path,
    added: addedLines(file),
    deleted: deletedLines(file),
    isTest: isTestPath(file.path),
    isDoc: DOC_EXTENSIONS.has(ext),
    source,
  };
}

/**
 * Lines that are only a comment. Injection and integration rules skip them, because commented-out
 * or explanatory code does not run; the secret rules do not, because a key in a comment still leaks.
 */
export function isCommentLine(content: string): boolean {
  return /^\s*(?:\/\/|\/\*|\*|#(?!!)|--|<!--)/.test(content);
}

export function codeLines(lines: NumberedLine[]): NumberedLine[] {
  return lines.filter((l) => !isCommentLine(l.content));
}

/** Changed lines in diff order: added lines carry new numbers, deleted lines old ones. */
export function changedLines(file: DiffFile): { line: number; content: string; kind: "add" | "del" }[] {
  return file.hunks.flatMap((h) =>
    h.lines.filter((l) => l.kind !== "context").map((l) => ({ kind: l.kind as "add" | "del", line: (l.kind === "add" ? l.newLine : l.oldLine)!, content: l.content })),
  );
}

export function pathWords(path: string): string[] {
  return path
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export interface NewSideLine extends NumberedLine {
  kind: "add" | "context";
}

/** The new file as far as the diff shows it: context and added lines, hunk by hunk. */
export function newSideLines(file: DiffFile): NewSideLine[] {
  return file.hunks.flatMap((h) =>
    h.lines.filter((l) => l.kind !== "del").map((l) => ({ kind: l.kind as "add" | "context", line: l.newLine!, content: l.content })),
  );
}

export function isMigrationPath(path: string): boolean {
  return (
    /(?:^|\/)(?:migrations?|migrate)\//i.test(path) ||
    /(?:^|\/)alembic\/versions\//.test(path) ||
    /\.sql$/i.test(path)
  );
}
