import type { AuditActor } from "../../audit/chain/append-audit-event";
import type { Db } from "../../db/client";
import { Prisma } from "../../db/generated/client";
import type { Logger } from "../../log";
import { endActiveRuns } from "../../runs/end-active-runs";
import { DEFAULT_MAX_DIFF_BYTES, submitRun } from "../../runs/submit-run";
import type { CodeHostDeliveryJobPayload } from "./delivery-job";
import { isCodeHostKind, type CodeHostKind, type FetchCredentials } from "../code-host";
import { classifyGithubEvent, type HostEvent, type HostEventRepository, type HostPullRequest } from "../github/classify-event";
import { classifyGitlabEvent } from "../gitlab/classify-event";
import { mergeSettingsOf } from "../merge-settings";
import type { HostResolver } from "../publish/publish";
import { redactCredentials } from "../git/redact-credentials";
import { diffOf, fetchPullRequest, openRepositoryCache } from "../git/repository-cache";

const ACTORS: Record<CodeHostKind, AuditActor> = {
  github: { type: "system", id: "github", label: "GitHub" },
  gitlab: { type: "system", id: "gitlab", label: "GitLab" },
};
const HOST_NAMES: Record<CodeHostKind, string> = { github: "GitHub", gitlab: "GitLab" };
// What a host needs configured before its repositories can be fetched and published to.
const HOST_CONFIGURATION: Record<CodeHostKind, string> = {
  github: "no GitHub App is configured (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)",
  gitlab: "GitLab is not configured (GITLAB_TOKEN, and GITLAB_URL for a self-managed instance)",
};

/** What a delivery means, by the host that sent it. */
function classify(host: CodeHostKind, event: string, payload: unknown): HostEvent {
  return host === "gitlab" ? classifyGitlabEvent(event, payload) : classifyGithubEvent(event, payload);
}

export interface DeliveryDeps {
  db: Db;
  log: Logger;
  /** Where the repository caches live (FLOWGATE_DATA_DIR). */
  dataDir: string;
  resolveHost: HostResolver;
  /** Draft pull requests start runs only when the organisation wants them to. */
  runDrafts?: boolean;
  maxDiffBytes?: number;
}

/**
 * The `codeHost.delivery` job: acts on one recorded webhook delivery. A pull request opened,
 * reopened, ready for review or pushed to becomes a run of its head (a newer head supersedes the
 * active run, as intake does); closed, its active runs end and the host's times are kept;
 * installations add and remove repositories. The delivery row says what was done, and its payload
 * is cleared once acted on. Run again after a crash, it finds the row processed and does nothing;
 * an error is retried by the queue and, after its last attempt, recorded as failed.
 */
export async function handleCodeHostDelivery(deps: DeliveryDeps, job: CodeHostDeliveryJobPayload, attempt: { attempt: number; maxAttempts: number }): Promise<void> {
  const { db } = deps;
  const delivery = await db.codeHostDelivery.findUnique({ where: { id: job.deliveryId } });
  if (!delivery || delivery.status !== "received") return;
  const log = deps.log.child({ delivery: delivery.deliveryId, event: delivery.event, action: delivery.action });
  let outcome: { status: "processed" | "ignored"; text: string };
  try {
    if (!isCodeHostKind(delivery.host)) throw new Error(`a delivery from an unknown code host ${JSON.stringify(delivery.host)}`);
    outcome = await act(deps, delivery.host, classify(delivery.host, delivery.event, delivery.payload));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.warn({ error: message, attempt: attempt.attempt }, "acting on a code-host delivery failed");
    if (attempt.attempt < attempt.maxAttempts) throw error;
    // The payload stays, so the delivery can be looked at (and redelivered from the host).
    await db.codeHostDelivery.update({ where: { id: delivery.id }, data: { status: "failed", outcome: message.slice(0, 500), processedAt: new Date() } });
    return;
  }
  await db.codeHostDelivery.update({
    where: { id: delivery.id },
    data: { status: outcome.status, outcome: outcome.text.slice(0, 500), processedAt: new Date(), payload: Prisma.DbNull },
  });
  log.info({ outcome: outcome.text }, "code-host delivery handled");
}

async function act(deps: DeliveryDeps, host: CodeHostKind, event: HostEvent): Promise<{ status: "processed" | "ignored"; text: string }> {
  const { db } = deps;
  switch (event.kind) {
    case "pr_opened":
    case "pr_synchronize": {
      if (event.pullRequest.draft && !deps.runDrafts) return { status: "ignored", text: `#${event.pullRequest.number} is a draft: no run until it is ready for review` };
      return { status: "processed", text: await startRun(deps, host, event.repository, event.pullRequest, event.kind === "pr_synchronize" ? event.after : event.pullRequest.head.sha) };
    }
    case "pr_closed": {
      const repository = await db.repository.findFirst({ where: { name: event.repository.fullName, kind: host }, select: { id: true, settings: true } });
      const pullRequest = repository && (await db.pullRequest.findUnique({ where: { repositoryId_number: { repositoryId: repository.id, number: event.number } }, select: { id: true } }));
      if (!pullRequest) return { status: "ignored", text: `#${event.number} closed; Flowgate never ran it` };
      const closed = await db.$transaction(async (tx) => {
        await tx.pullRequest.update({ where: { id: pullRequest.id }, data: { mergedAt: event.mergedAt, closedAt: event.closedAt ?? new Date() } });
        if (event.merged) return { status: "processed" as const, text: `#${event.number} merged at ${event.mergedAt?.toISOString() ?? "an unknown time"}` };
        const ended = await endActiveRuns(tx, { pullRequestId: pullRequest.id, supersededBy: null, reason: "the pull request was closed" });
        return { status: "processed" as const, text: `#${event.number} closed without merging; ${ended.length} active run${ended.length === 1 ? "" : "s"} ended` };
      });
      // Gate-only: people merged it once the checks passed; now its merge commit is deployed.
      if (event.merged && event.mergeCommitSha && mergeSettingsOf(repository.settings).mode === "gate_only") {
        return { ...closed, text: `${closed.text}; ${await deployMergeCommit(deps, host, event.repository, event.number, event.mergeCommitSha)}` };
      }
      return closed;
    }
    case "installation_added":
    case "installation_repositories": {
      const added = event.kind === "installation_added" ? event.repositories : event.added;
      const removed = event.kind === "installation_repositories" ? event.removed : [];
      for (const fullName of added) await registerHostRepository(db, host, fullName, event.installationId);
      if (removed.length > 0) await db.repository.updateMany({ where: { name: { in: removed }, kind: host }, data: { hostRemovedAt: new Date() } });
      return { status: "processed", text: `installation ${event.installationId} (${event.account.login}): ${added.length} added, ${removed.length} removed` };
    }
    case "installation_removed": {
      // An empty list means every repository of the installation.
      const where = event.repositories.length > 0 ? { name: { in: event.repositories }, kind: host } : { hostInstallationId: event.installationId, kind: host };
      const { count } = await db.repository.updateMany({ where, data: { hostRemovedAt: new Date() } });
      return { status: "processed", text: `installation ${event.installationId} ${event.action}: ${count} repositor${count === 1 ? "y" : "ies"} no longer reachable` };
    }
    case "check_rerequested":
      return rerun(deps, host, event);
    case "ignored":
      return { status: "ignored", text: event.reason };
  }
}

/**
 * A host's repository as its installation (GitHub App) or project hook (GitLab: the project id)
 * gives it; kept (with its history) when access ends, and re-enabled when it comes back.
 */
async function registerHostRepository(db: Db, host: CodeHostKind, fullName: string, installationId: string) {
  const existing = await db.repository.findUnique({ where: { name: fullName }, select: { kind: true } });
  if (existing && existing.kind !== host) return; // a repository of the same name of another kind stays as it is
  await db.repository.upsert({
    where: { name: fullName },
    create: { name: fullName, kind: host, location: fullName, hostInstallationId: installationId },
    update: { hostInstallationId: installationId, hostRemovedAt: null },
  });
}

/**
 * Fetches the pull request's head into the repository's cache with a token scoped to that
 * repository (never written to disk), diffs it against its base and submits the run; records the
 * host's times so lead time starts at the first commit.
 */
async function startRun(deps: DeliveryDeps, host: CodeHostKind, source: HostEventRepository, pullRequest: HostPullRequest, headSha: string, options: { rerun?: boolean; afterMerge?: boolean } = {}): Promise<string> {
  const { db } = deps;
  if (!source.installationId) {
    throw new Error(host === "github" ? `${source.fullName}: the delivery came without an App installation; install the Flowgate App on the repository` : `${source.fullName}: the delivery names no project`);
  }
  await registerHostRepository(db, host, source.fullName, source.installationId);
  const repository = await db.repository.findUniqueOrThrow({ where: { name: source.fullName }, select: { id: true, name: true, kind: true, location: true, hostInstallationId: true, hostRemovedAt: true } });
  if (repository.kind !== host) return `${source.fullName} is registered as a ${repository.kind} repository, not a ${HOST_NAMES[host]} one; not run`;
  const target = deps.resolveHost(repository);
  if (!target) throw new Error(HOST_CONFIGURATION[host]);

  let credentials: FetchCredentials | undefined;
  let diff: string;
  let baseSha: string;
  try {
    credentials = await target.host.fetchCredentials(target.repository);
    const cache = await openRepositoryCache(deps.dataDir, target.repository);
    const fetched = await fetchPullRequest(cache, { credentials, pullRequest: pullRequest.number, headSha, baseRef: pullRequest.base.ref, log: deps.log });
    // A merge commit's change is what it did to the base: against its first parent.
    ({ baseSha, diff } = await diffOf(cache, options.afterMerge ? `${headSha}^1` : fetched.baseSha, headSha, deps.maxDiffBytes ?? DEFAULT_MAX_DIFF_BYTES));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(credentials ? redactCredentials(message, credentials) : message);
  }
  const result = await submitRun(db, {
    actor: ACTORS[host],
    input: {
      repository: repository.name,
      prNumber: pullRequest.number,
      title: pullRequest.title.slice(0, 300) || `#${pullRequest.number}`,
      description: (pullRequest.body ?? "").slice(0, 20_000),
      author: pullRequest.author,
      baseSha,
      headSha,
      diff,
      baseRef: pullRequest.base.ref,
      headRef: pullRequest.head.ref,
    },
    maxDiffBytes: deps.maxDiffBytes,
    rerun: options.rerun,
    afterMerge: options.afterMerge,
  });
  // The host's clock: when the pull request was opened and its first commit made (best effort:
  // a run without them still runs; lead time then starts at the opening).
  const times = await target.host.pullRequestTimes(target.repository, pullRequest.number).catch(() => null);
  await db.pullRequest.updateMany({
    where: { repositoryId: repository.id, number: pullRequest.number },
    data: { openedAt: times?.openedAt ?? pullRequest.createdAt, firstCommitAt: times?.firstCommitAt ?? null },
  });
  const superseded = result.superseded.length > 0 ? `; superseded ${result.superseded.join(", ")}` : "";
  if (options.afterMerge) return result.created ? `deploying its merge commit ${headSha.slice(0, 12)} as run ${result.run.id}` : `its merge commit ${headSha.slice(0, 12)} already has run ${result.run.id}`;
  if (options.rerun) return result.created ? `re-running #${pullRequest.number} at ${headSha.slice(0, 12)} as run ${result.run.id}` : `run ${result.run.id} of #${pullRequest.number} at ${headSha.slice(0, 12)} is still ${result.run.status}: no re-run`;
  return result.created ? `started run ${result.run.id} for #${pullRequest.number} at ${headSha.slice(0, 12)}${superseded}` : `run ${result.run.id} already exists for #${pullRequest.number} at ${headSha.slice(0, 12)}`;
}

/**
 * "Re-run" on a Flowgate check (check_run or check_suite rerequested): the whole pipeline runs
 * again for that commit, freshly fetched, as a new run of the same head, but only for the pull
 * request's current head (re-running an older commit would supersede the newer one's run) and
 * only when its last run has ended (an active run answers for itself).
 */
async function rerun(deps: DeliveryDeps, host: CodeHostKind, event: Extract<HostEvent, { kind: "check_rerequested" }>): Promise<{ status: "processed" | "ignored"; text: string }> {
  const what = `re-run of ${event.checkName ?? "the checks"} at ${event.headSha.slice(0, 12)}`;
  // Fork pull requests are not listed on the check; the runs of this head say which pull request it is.
  const latest = await deps.db.pipelineRun.findFirst({
    where: { headSha: event.headSha, pullRequest: { repository: { name: event.repository.fullName, kind: host }, ...(event.pullRequests.length > 0 ? { number: { in: event.pullRequests } } : {}) } },
    orderBy: { createdAt: "desc" },
    select: { pullRequest: { select: { id: true, number: true, title: true, description: true, author: true, baseRef: true, headRef: true, openedAt: true, closedAt: true } } },
  });
  if (!latest) return { status: "ignored", text: `${what}: Flowgate never ran this commit` };
  const pr = latest.pullRequest;
  if (pr.closedAt) return { status: "ignored", text: `${what}: #${pr.number} is closed` };
  const newest = await deps.db.pipelineRun.findFirstOrThrow({ where: { pullRequestId: pr.id }, orderBy: { createdAt: "desc" }, select: { headSha: true } });
  if (newest.headSha !== event.headSha) return { status: "ignored", text: `${what}: not the head of #${pr.number} any more (${newest.headSha.slice(0, 12)} is)` };
  return { status: "processed", text: await startRun(deps, host, event.repository, storedPullRequest(pr, event.headSha), event.headSha, { rerun: true }) };
}

/**
 * A gate-only repository's merged pull request: its merge commit (on the base branch, fetched with
 * it) is deployed by a run of its own that starts at the deployment stage, with the change the
 * merge made to the base as its diff. Only for a pull request whose last run passed: a merge that
 * bypassed the gate (an administrator overriding the ruleset) is not deployed by Flowgate.
 */
async function deployMergeCommit(deps: DeliveryDeps, host: CodeHostKind, source: HostEventRepository, number: number, mergeSha: string): Promise<string> {
  const { db } = deps;
  const pr = await db.pullRequest.findFirstOrThrow({
    where: { number, repository: { name: source.fullName, kind: host } },
    select: { title: true, description: true, author: true, baseRef: true, headRef: true, openedAt: true, runs: { where: { afterMerge: false }, orderBy: { createdAt: "desc" }, take: 1, select: { id: true, status: true } } },
  });
  const last = pr.runs[0];
  if (!last || last.status !== "done") return `its merge commit is not deployed: the pull request's last run ${last ? `is ${last.status.replace("_", " ")}` : "does not exist"} (merged without passing the gate)`;
  return startRun(deps, host, source, storedPullRequest({ ...pr, number }, mergeSha), mergeSha, { afterMerge: true });
}

/** A pull request as Flowgate stored it, for the runs no pull-request event starts (re-runs, merge commits). */
function storedPullRequest(
  pr: { number: number; title: string; description: string; author: string; baseRef: string; headRef: string; openedAt: Date },
  headSha: string,
): HostPullRequest {
  return {
    number: pr.number,
    title: pr.title,
    body: pr.description,
    author: pr.author,
    authorIsBot: false,
    base: { ref: pr.baseRef, sha: "" },
    head: { ref: pr.headRef, sha: headSha },
    draft: false,
    fork: false,
    headRepository: null,
    createdAt: pr.openedAt,
    htmlUrl: null,
  };
}
