import { isCodeHostKind, type BranchUpdate } from "./code-host";
import { mergeSettingsOf } from "./merge-settings";
import type { HostResolver } from "./publish/publish";

/** Where a run's head stands against its base branch now, before its deployment starts. */
export type BaseCheck =
  | { kind: "not_applicable" }
  /** Gate-only: people merge the pull request, and its merge commit is deployed by a run of its own. */
  | { kind: "gate_only" }
  | { kind: "up_to_date" }
  | { kind: "behind"; baseRef: string; baseSha: string; behindBy: number; update: BranchUpdate };

interface RunOnHost {
  headSha: string;
  afterMerge: boolean;
  pullRequest: { number: number; repository: { kind: string; location: string; hostInstallationId: string | null; settings: unknown } };
}

/**
 * Deploy-then-merge deploys the pull request's head and then merges it, so the default branch
 * equals production only if the head already contains the base's tip. A head behind its base is
 * not deployed: the host is asked to bring the branch up to date (GitHub merges the base in,
 * GitLab rebases), and the push that follows re-validates the result in a new run. On a
 * gate-only repository a pull request's head is not deployed at all (its merge commit is, once
 * people merged it); a merge commit's run and repositories not on a host have nothing to check. A
 * host that cannot be asked is an error (the stage retries, then escalates): never a deployment of
 * an unchecked head.
 */
export function createBaseCheck(resolveHost: HostResolver) {
  return async (run: RunOnHost): Promise<BaseCheck> => {
    const { repository } = run.pullRequest;
    if (!isCodeHostKind(repository.kind) || run.afterMerge) return { kind: "not_applicable" };
    if (mergeSettingsOf(repository.settings).mode === "gate_only") return { kind: "gate_only" };
    const target = resolveHost(repository);
    if (!target) throw new Error(`${repository.location}: its code host is not configured, so whether its base moved cannot be checked`);
    const status = await target.host.baseStatus(target.repository, run.pullRequest.number, run.headSha);
    if (status.behindBy === 0) return { kind: "up_to_date" };
    const update = await target.host.updateBranch(target.repository, run.pullRequest.number, run.headSha);
    return { kind: "behind", baseRef: status.baseRef, baseSha: status.baseSha, behindBy: status.behindBy, update };
  };
}
