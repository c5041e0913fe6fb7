import fs from "node:fs";
import path from "node:path";
import type { Db } from "../../lib/db/client";
import { git } from "../../lib/git/git";
import type { Logger } from "../../lib/log";
import { stages, type Stage } from "../../lib/pipeline/stages";

export interface Workspace {
  /** The checkout of the PR head. */
  dir: string;
  /** A private HOME and TMPDIR for the repository's commands, outside the checkout. */
  home: string;
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
 * A workspace of the PR head for one stage attempt, never shared: a detached git worktree of a
 * local repository, or a clone of a remote one. A retried attempt (after a crash) starts over.
 */
export async function createWorkspace(options: { root: string; repository: RepositoryLocation; headSha: string; runId: string; stage: string; attempt: number }): Promise<Workspace> {
  const base = path.join(options.root, workspaceName(options.runId, options.stage, options.attempt));
  await removeDirectory(base);
  const dir = path.join(base, "checkout");
  const home = path.join(base, "home");
  fs.mkdirSync(home, { recursive: true });
  if (options.repository.kind === "local") {
    await git(options.repository.location, ["worktree", "add", "--detach", dir, options.headSha]);
  } else {
    await git(base, ["clone", "--quiet", "--no-checkout", options.repository.location, dir]);
    await git(dir, ["checkout", "--quiet", "--detach", options.headSha]);
  }
  return { dir, home, remove: () => removeDirectory(base) };
}

async function removeDirectory(base: string) {
  if (!fs.existsSync(base)) return;
  // A worktree's checkout has a .git file naming its bookkeeping in the source repository
  // (<repo>/.git/worktrees/<name>); that is pruned with the files, whoever created them.
  const dotGit = path.join(base, "checkout", ".git");
  const gitdir = fs.existsSync(dotGit) && fs.statSync(dotGit).isFile() ? /^gitdir: (.+)$/m.exec(fs.readFileSync(dotGit, "utf8"))?.[1] : undefined;
  fs.rmSync(base, { recursive: true, force: true });
  if (gitdir) await git(path.dirname(base), ["--git-dir", path.resolve(gitdir, "..", ".."), "worktree", "prune"]).catch(() => undefined);
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
    await removeDirectory(path.join(options.root, name));
    removed++;
  }
  if (removed > 0) options.log.info({ removed, root: options.root }, "removed workspaces left behind by finished or crashed stages");
  return removed;
}
