import path from "node:path";

/**
 * Turns the file paths a coverage tool wrote into repository-relative POSIX paths, the form a
 * diff uses. Tools write absolute paths of the machine that ran the tests (Istanbul, coverage.py's
 * <source>), paths relative to the working directory (Node's lcov, JaCoCo converters), Windows
 * paths with backslashes, or file: URLs. A path that leaves the workspace (a dependency, a file
 * in /tmp) cannot be part of the diff and resolves to null.
 */
export type ReportPathResolver = (reportPath: string, base?: string) => string | null;

const posix = path.posix;

function toPosix(raw: string): string {
  let value = raw.trim();
  if (/^file:\/\//i.test(value)) {
    value = value.replace(/^file:\/\/(localhost)?/i, "");
    try {
      value = decodeURIComponent(value);
    } catch {
      // A stray "%" that is not an escape: keep the path as written.
    }
    // file:///C:/work → /C:/work
    if (/^\/[A-Za-z]:\//.test(value)) value = value.slice(1);
  }
  value = value.replace(/\\/g, "/");
  // Drive letters are case-insensitive and tools disagree on their case.
  return value.replace(/^([A-Za-z]):\//, (_, drive: string) => `${drive.toLowerCase()}:/`);
}

function isAbsolute(posixPath: string): boolean {
  return posixPath.startsWith("/") || /^[a-z]:\//.test(posixPath);
}

/** Normalises `.`/`..` segments and doubled slashes, keeping a drive letter in front. */
function normalize(posixPath: string): string {
  const drive = /^[a-z]:/.exec(posixPath)?.[0] ?? "";
  const normalized = posix.normalize(posixPath.slice(drive.length));
  return drive + (normalized.length > 1 ? normalized.replace(/\/$/, "") : normalized);
}

export function createReportPathResolver(root: string): ReportPathResolver {
  const workspace = normalize(toPosix(root));
  if (!isAbsolute(workspace)) throw new Error(`the workspace root must be an absolute path, got "${root}"`);
  const prefix = workspace.endsWith("/") ? workspace : `${workspace}/`;

  const relativeToWorkspace = (absolute: string): string | null => {
    const normalized = normalize(absolute);
    return normalized.startsWith(prefix) && normalized.length > prefix.length ? normalized.slice(prefix.length) : null;
  };

  return (reportPath, base) => {
    const file = toPosix(reportPath);
    if (file === "") return null;
    if (isAbsolute(file)) return relativeToWorkspace(file);
    const baseDir = base === undefined ? "" : toPosix(base);
    if (isAbsolute(baseDir)) return relativeToWorkspace(`${baseDir}/${file}`);
    const relative = posix.normalize(baseDir === "" ? file : `${baseDir}/${file}`).replace(/\/$/, "");
    if (relative === "." || relative === ".." || relative.startsWith("../")) return null;
    return relative;
  };
}
