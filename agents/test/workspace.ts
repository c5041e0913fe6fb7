import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Db } from "../../lib/db/client";
import { envVar } from "../../lib/env";
import { git, gitEnvironment } from "../../lib/git/git";
import type { Logger } from "../../lib/log";
import { stages, type Stage } from "../../lib/pipeline/stages";
import type { SandboxWorkspace } from "../sandbox/sandbox";

export interface Workspace extends SandboxWorkspace {
  remove(): Promise<void>;
}

interface RepositoryLocation {
  kind: string;
  location: string;
}

// <runId>--<stage>--<attempt>: the sweeper reads the owner back from the name.
const workspaceName = (runId: string, stage: string, attempt: number) => `${runId}--${stage}--${attempt}`;
const parseName = (name: string) => {
  const match = /^(.+)--([a-z]+)--(\d+)$/.exec(name);
  return match && stages.includes(match[2] as Stage) ? { runId: match[1], stage: match[2] as Stage, attempt: Number(match[3]) } : null;
};

/**
 * Where a runner keeps its workspaces: FLOWGATE_WORKSPACE_DIR, or a directory of its own under
 * the system's temporary directory. Never inside the data directory: a wrong bind mount of a
 * workspace must not be able to reach secrets.json, the database cluster or another instance's
 * files. The directory is ours, 0711: the sandbox's user may reach its own workspace by its exact
 * name, but cannot list the others.
 */
export function workspaceRootFor(dataDir: string, configured = envVar("FLOWGATE_WORKSPACE_DIR")): string {
  const root = configured ? path.resolve(configured) : path.join(os.tmpdir(), `flowgate-workspaces-${process.getuid?.() ?? 0}-${createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 12)}`);
  const inside = path.relative(path.resolve(dataDir), root);
  if (inside === "" || (!inside.startsWith("..") && !path.isAbsolute(inside))) throw new Error(`FLOWGATE_WORKSPACE_DIR (${root}) must not be inside the data directory (${path.resolve(dataDir)})`);
  return ensureWorkspaceRoot(root);
}

/** Creates the workspace directory, or checks an existing one: ours, not a link, 0711. */
export function ensureWorkspaceRoot(root: string): string {
  fs.mkdirSync(root, { recursive: true, mode: 0o711 });
  const stat = fs.lstatSync(root);
  if (!stat.isDirectory() || stat.uid !== process.getuid?.()) throw new Error(`the workspace directory ${root} is not a directory owned by this user; remove it or set FLOWGATE_WORKSPACE_DIR`);
  fs.chmodSync(root, 0o711);
  return root;
}

/**
 * A workspace of the PR head for one stage attempt, never shared: the head's tree exported from
 * the repository (`git archive`), with no `.git` that points back into the source repository, and
 * beside it a private HOME and TMPDIR. A retried attempt (after a crash) starts over.
 */
export async function createWorkspace(options: { root: string; repository: RepositoryLocation; headSha: string; runId: string; stage: string; attempt: number }): Promise<Workspace> {
  const base = path.join(options.root, workspaceName(options.runId, options.stage, options.attempt));
  fs.rmSync(base, { recursive: true, force: true });
  const workspace = { base, dir: path.join(base, "checkout"), home: path.join(base, "home"), tmp: path.join(base, "tmp") };
  fs.mkdirSync(base, { mode: 0o700 });
  for (const dir of [workspace.dir, workspace.home, workspace.tmp]) fs.mkdirSync(dir);
  const remove = async () => fs.rmSync(base, { recursive: true, force: true });
  try {
    if (options.repository.kind === "local") {
      await exportTree(options.repository.location, options.headSha, workspace.dir);
    } else {
      // A remote repository: fetch just the head commit into a bare repository beside the checkout
      // (never bound into a sandbox), export its tree, and drop it.
      const source = path.join(base, "source.git");
      await git(base, ["init", "--quiet", "--bare", source]);
      await git(source, ["fetch", "--quiet", "--depth", "1", options.repository.location, options.headSha]);
      await exportTree(source, options.headSha, workspace.dir);
      fs.rmSync(source, { recursive: true, force: true });
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { ...workspace, remove };
}

/** `git archive <sha> | tar -x`: the commit's files, nothing of the repository around them. */
function exportTree(repository: string, sha: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const archive = spawn("git", ["archive", "--format=tar", sha], { cwd: repository, stdio: ["ignore", "pipe", "pipe"], env: gitEnvironment() });
    const tar = spawn("tar", ["-x", "-f", "-", "-C", into, "--no-same-owner"], { stdio: ["pipe", "ignore", "pipe"] });
    archive.stdout.pipe(tar.stdin);
    let errors = "";
    archive.stderr.on("data", (c: Buffer) => (errors += c.toString()));
    tar.stderr.on("data", (c: Buffer) => (errors += c.toString()));
    let exited = 0;
    let failed = false;
    const done = (code: number | null) => {
      if (code !== 0) failed = true;
      if (++exited < 2) return;
      if (failed) reject(new Error(`could not export ${sha} from the repository: ${errors.trim().split("\n")[0] || "git archive failed"}`));
      else resolve();
    };
    archive.on("close", done);
    tar.on("close", done);
    archive.on("error", reject);
    tar.on("error", reject);
  });
}

/**
 * Versions before the sandbox kept git worktrees under `<data dir>/workspaces`; none is used any
 * more (a run retried after the upgrade starts a new workspace), so the directory goes.
 */
export function removeLegacyWorkspaces(dataDir: string, log: Logger) {
  const legacy = path.resolve(dataDir, "workspaces");
  if (!fs.existsSync(legacy)) return;
  fs.rmSync(legacy, { recursive: true, force: true });
  log.info({ removed: legacy }, "removed the workspaces directory of an earlier version from the data directory");
}

/**
 * Removes workspaces whose stage attempt is no longer in progress: those a crashed runner left
 * behind. Attempts still queued or running keep theirs (another runner on this machine may be
 * using it, or the retried job will recreate it).
 */
export async function sweepWorkspaces(db: Db, options: { root: string; log: Logger }): Promise<number> {
  if (!fs.existsSync(options.root)) return 0;
  let removed = 0;
  for (const name of fs.readdirSync(options.root)) {
    const owner = parseName(name);
    const attempt = owner ? await db.stageRun.findFirst({ where: owner, select: { status: true } }) : null;
    if (attempt && (attempt.status === "queued" || attempt.status === "running")) continue;
    fs.rmSync(path.join(options.root, name), { recursive: true, force: true });
    removed++;
  }
  if (removed > 0) options.log.info({ removed, root: options.root }, "removed workspaces left behind by finished or crashed stages");
  return removed;
}
