import fs from "node:fs";
import path from "node:path";

/**
 * File access to a checkout after pull-request code has run in it. The code may have replaced any
 * path with a symbolic link (to `secrets.json`, to `/etc/shadow`), and the runner reads and writes
 * with more privileges than the sandbox had. So every path is resolved, must stay inside the
 * checkout, and the last component is opened without following links. No process of the sandbox
 * is alive when these run (its pid namespace is gone), so nothing can swap a path in between.
 */
export class CheckoutPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckoutPathError";
  }
}

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/** The real directory a relative path's parent resolves to, checked to be inside the checkout. */
function containedParent(root: string, relative: string): { parent: string; name: string } {
  const normalized = path.posix.normalize(relative.replaceAll("\\", "/"));
  if (path.isAbsolute(normalized) || normalized === ".." || normalized.startsWith("../")) throw new CheckoutPathError(`${relative} is outside the checkout`);
  const realRoot = fs.realpathSync(root);
  const parent = fs.realpathSync(path.join(root, path.posix.dirname(normalized)));
  if (parent !== realRoot && !parent.startsWith(realRoot + path.sep)) throw new CheckoutPathError(`${relative} leads outside the checkout`);
  return { parent, name: path.posix.basename(normalized) };
}

/** Reads a regular file inside the checkout, at most `maxBytes`; null when it does not exist. */
export function readCheckoutFile(root: string, relative: string, maxBytes: number): { text: string; truncated: boolean } | null {
  let fd: number;
  try {
    const { parent, name } = containedParent(root, relative);
    fd = fs.openSync(path.join(parent, name), O_RDONLY | O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    if (code === "ELOOP") throw new CheckoutPathError(`${relative} is a symbolic link`);
    throw err;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new CheckoutPathError(`${relative} is not a regular file`);
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes));
    let read = 0;
    while (read < buffer.length) {
      const n = fs.readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return { text: buffer.subarray(0, read).toString("utf8"), truncated: stat.size > maxBytes };
  } finally {
    fs.closeSync(fd);
  }
}

export function checkoutFileExists(root: string, relative: string): boolean {
  try {
    const { parent, name } = containedParent(root, relative);
    fs.lstatSync(path.join(parent, name));
    return true;
  } catch (err) {
    if (err instanceof CheckoutPathError) return true;
    return false;
  }
}

/** Creates a new file (never overwrites, never through a link), its directories as needed. */
export function writeNewCheckoutFile(root: string, relative: string, content: string, owner?: { uid: number; gid: number }) {
  const normalized = path.posix.normalize(relative.replaceAll("\\", "/"));
  // Create the missing directories one level at a time, each checked before the next.
  const parts = path.posix.dirname(normalized).split("/").filter((p) => p !== ".");
  for (let i = 1; i <= parts.length; i++) {
    const dir = parts.slice(0, i).join("/");
    const { parent, name } = containedParent(root, dir);
    const full = path.join(parent, name);
    if (!fs.existsSync(full)) {
      fs.mkdirSync(full);
      if (owner) fs.chownSync(full, owner.uid, owner.gid);
    }
  }
  const { parent, name } = containedParent(root, normalized);
  const fd = fs.openSync(path.join(parent, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
  try {
    fs.writeSync(fd, content);
    if (owner) fs.fchownSync(fd, owner.uid, owner.gid);
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes a file or directory inside the checkout (links are removed, never followed). */
export function removeCheckoutFile(root: string, relative: string) {
  try {
    const { parent, name } = containedParent(root, relative);
    fs.rmSync(path.join(parent, name), { force: true, recursive: true });
  } catch (err) {
    if (err instanceof CheckoutPathError) return;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return;
    throw err;
  }
}

/** Relative paths of regular files (no links followed) that `accept` takes, up to `limit`. */
export function findCheckoutFiles(root: string, accept: (relative: string) => boolean, limit: number): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (found.length >= limit || entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full).replaceAll("\\", "/");
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && accept(rel)) found.push(rel);
    }
  };
  walk(root);
  return found;
}
