/**
 * The base and head versions of a diff's changed files, read from the repository when the review
 * can reach it (registered local repositories), for the whole-file engines: API surfaces compared
 * before and after, OpenAPI documents compared as documents.
 *
 * The contents are the pull request's and so untrusted: they are read as git objects (`git
 * cat-file --batch`, no checkout, no hooks, no filters), capped in size, and never executed.
 */
import { spawn } from "node:child_process";
import type { DiffFile } from "../../lib/diff/unified-diff";
import { gitEnvironment } from "../../lib/git/git";

export interface FileSource {
  /** The file before the change, or null when it did not exist (or could not be read). */
  base: string | null;
  /** The file after the change, or null when the change deletes it. */
  head: string | null;
}

/** Files larger than this are not read whole: the whole-file engines skip them. */
const MAX_SOURCE_BYTES = 512 * 1024;
const TIMEOUT_MS = 15_000;

interface BlobRequest {
  key: string;
  spec: string;
}

/**
 * Reads `<sha>:<path>` for the old and new side of each file in one `git cat-file --batch`
 * process. Missing objects and oversized or binary blobs come back as null.
 */
export async function readRepositorySources(repository: string, baseSha: string, headSha: string, files: DiffFile[]): Promise<Map<string, FileSource>> {
  const requests: BlobRequest[] = [];
  for (const file of files) {
    if (file.binary) continue;
    if (file.oldPath) requests.push({ key: `base\u0000${file.path}`, spec: `${baseSha}:${file.oldPath}` });
    if (file.newPath) requests.push({ key: `head\u0000${file.path}`, spec: `${headSha}:${file.newPath}` });
  }
  const blobs = await catFileBatch(repository, requests);
  const sources = new Map<string, FileSource>();
  for (const file of files) {
    if (file.binary) continue;
    sources.set(file.path, { base: blobs.get(`base\u0000${file.path}`) ?? null, head: blobs.get(`head\u0000${file.path}`) ?? null });
  }
  return sources;
}

function catFileBatch(repository: string, requests: BlobRequest[]): Promise<Map<string, string | null>> {
  return new Promise((resolve, reject) => {
    // Paths come from the diff: a newline in one would split the request line, so such a file is
    // simply not read.
    const usable = requests.filter((r) => !/[\n\r]/.test(r.spec));
    const child = spawn("git", ["cat-file", "--batch"], { cwd: repository, stdio: ["pipe", "pipe", "pipe"], env: gitEnvironment() });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`reading the changed files from the repository took over ${TIMEOUT_MS / 1000} s`));
    }, TIMEOUT_MS);
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`git cat-file failed: ${stderr.trim().split("\n")[0] || `exit ${code}`}`));
      resolve(parseBatch(Buffer.concat(chunks), usable));
    });
    child.stdin.end(usable.map((r) => `${r.spec}\n`).join(""));
  });
}

/** `<oid> <type> <size>\n<content>\n` per object, or `<spec> missing\n`. */
function parseBatch(output: Buffer, requests: BlobRequest[]): Map<string, string | null> {
  const result = new Map<string, string | null>();
  let at = 0;
  for (const request of requests) {
    const end = output.indexOf(0x0a, at);
    if (end < 0) break;
    const header = output.subarray(at, end).toString();
    at = end + 1;
    const [, type, sizeText] = header.split(" ");
    const size = Number(sizeText);
    if (!Number.isInteger(size) || header.endsWith(" missing") || header.endsWith(" ambiguous")) {
      result.set(request.key, null);
      continue;
    }
    const content = output.subarray(at, at + size);
    at += size + 1;
    const readable = type === "blob" && size <= MAX_SOURCE_BYTES && !content.includes(0);
    result.set(request.key, readable ? content.toString("utf8") : null);
  }
  return result;
}
