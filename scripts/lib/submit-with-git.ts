import path from "node:path";
import type { AuditActor } from "../../lib/audit/chain/append-audit-event";
import type { Db } from "../../lib/db/client";
import { envVar } from "../../lib/env";
import { git } from "../../lib/git/git";
import { registerRepository } from "../../lib/repositories/register-repository";
import { submitRun } from "../../lib/runs/submit-run";

/**
 * `ctl submit`: a local branch as a pull request. The repository is registered on first use (named
 * after its folder); the PR number is the one already used for this head branch, or the next free one.
 */
export async function submitWithGit(
  db: Db,
  options: { repoPath: string; base: string; head: string; title?: string; number?: number; author?: string; description?: string; actor: AuditActor; note: (line: string) => void },
) {
  const location = path.resolve(options.repoPath);
  const topLevel = (await git(location, ["rev-parse", "--show-toplevel"])).trim();
  let repository = await db.repository.findFirst({ where: { location: topLevel } });
  if (!repository) {
    repository = await registerRepository(db, { input: { name: path.basename(topLevel), path: topLevel, defaultBranch: options.base }, actor: options.actor });
    options.note(`registered repository ${repository.name} (${topLevel})`);
  }
  const number =
    options.number ??
    (await db.pullRequest.findFirst({ where: { repositoryId: repository.id, headRef: options.head }, orderBy: { number: "desc" } }))?.number ??
    ((await db.pullRequest.aggregate({ where: { repositoryId: repository.id }, _max: { number: true } }))._max.number ?? 0) + 1;
  const subject = (await git(topLevel, ["log", "-1", "--format=%s", options.head])).trim();
  const author = options.author ?? (await git(topLevel, ["log", "-1", "--format=%ae", options.head])).trim();
  return submitRun(db, {
    input: {
      repository: repository.id,
      prNumber: number,
      title: options.title ?? subject,
      description: options.description ?? "",
      author,
      baseRef: options.base,
      headRef: options.head,
    },
    actor: options.actor,
    maxDiffBytes: envVar("FLOWGATE_MAX_DIFF_BYTES"),
  });
}
