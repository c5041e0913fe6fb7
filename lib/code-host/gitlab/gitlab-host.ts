import { Gitlab } from "@gitbeaker/rest";
import { log as defaultLog } from "../../log";
import { CodeHostError, CodeHostLimitReached, CodeHostRateLimited } from "../code-host-errors";
import type { BaseStatus, BranchUpdate, CheckPublication, CodeHost, FetchCredentials, HostRepository, MergeResult, PullRequestTimes } from "../code-host";
import { keyedQueue } from "../keyed-queue";
import { STICKY_MARKER } from "../publish/sticky-comment";
import { DEFAULT_GITLAB_LIMITS, gitLabRequesterFn, type GitLabClientLimits, type GitLabLog } from "./gitlab-requester";

/**
 * The GitLab implementation of the code host (issue #18), through one project or group access
 * token (api scope) and gitbeaker. GitLab has no check runs: a check is a commit status of the same
 * name (`flowgate/gate`, `flowgate/<stage>`), which a project requires through "Pipelines must
 * succeed" (external statuses join the commit's pipeline). What a status cannot carry:
 *
 * - a summary: only a description (GitLab keeps 255 characters: the check's title goes there)
 *   and a link (target_url: the run page or the escalation), where the summary is read;
 * - annotations: none are sent; the findings are on the run page the status links to.
 *
 * Conclusions map to GitLab's states: success → success, failure → failed, cancelled → canceled,
 * skipped → skipped, neutral → success (as GitHub counts a neutral check as passing), and
 * action_required → pending with "Waiting for a person: …" in the description: GitLab has no
 * "action required", and pending keeps a merge blocked without claiming that the change failed.
 */

export interface GitLabHostConfig {
  /** The instance's web origin (GITLAB_URL): https://gitlab.com or a self-managed server. */
  url: string;
  /** Where projects are cloned from (default: url, as on every GitLab instance). */
  gitUrl?: string;
  /** A project or group access token with the api scope (GITLAB_TOKEN). */
  token: string;
  /** Retries, waits and timeouts (defaults: 2 rate-limit retries within 60 s, 2 retries of a 5xx, 30 s per request). */
  limits?: Partial<GitLabClientLimits>;
  log?: GitLabLog;
}

/** GitLab truncates a commit status's description at 255 characters. */
export const MAX_STATUS_DESCRIPTION = 255;
// A note's body is capped at 1,000,000 characters by GitLab.
const MAX_NOTE = 1_000_000;
// A project path: namespaces and the project, each of GitLab's path characters.
const PROJECT_PATH = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+$/;

type GitLabState = "pending" | "running" | "success" | "failed" | "canceled" | "skipped";

/** The GitLab state and description of a check (see the module comment for the choices). */
export function gitLabStatusOf(check: CheckPublication): { state: GitLabState; description: string } {
  const describe = (text: string) => truncate(text, MAX_STATUS_DESCRIPTION);
  if (check.status === "queued") return { state: "pending", description: describe(check.title) };
  if (check.status === "in_progress") return { state: "running", description: describe(check.title) };
  switch (check.conclusion) {
    case "success":
    case "neutral":
      return { state: "success", description: describe(check.title) };
    case "failure":
      return { state: "failed", description: describe(check.title) };
    case "cancelled":
      return { state: "canceled", description: describe(check.title) };
    case "skipped":
      return { state: "skipped", description: describe(check.title) };
    case "action_required":
      return { state: "pending", description: describe(`Waiting for a person: ${check.title}`) };
    default:
      throw new CodeHostError(`Check ${check.name}: a completed check needs a conclusion`);
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function projectPath(repository: HostRepository): string {
  if (repository.host !== "gitlab" || !PROJECT_PATH.test(repository.fullName) || repository.fullName.length > 1000 || repository.fullName.split("/").some((part) => /^\.+$/.test(part))) {
    throw new CodeHostError(`Not a GitLab project: ${JSON.stringify(repository.fullName.slice(0, 200))}`);
  }
  return repository.fullName;
}

function earliest(dates: (string | null | undefined)[]): Date | null {
  let min: number | null = null;
  for (const date of dates) {
    const time = date ? Date.parse(date) : Number.NaN;
    if (Number.isFinite(time) && (min === null || time < min)) min = time;
  }
  return min === null ? null : new Date(min);
}

interface RequestErrorShape {
  message?: unknown;
  cause?: { description?: unknown; response?: { status?: unknown } };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as RequestErrorShape | null)?.cause?.response?.status;
  return typeof status === "number" ? status : undefined;
}

/** GitLab's own words for a refusal, shortened. Never a header. */
function wordsOf(error: unknown): string {
  const shape = (error ?? {}) as RequestErrorShape;
  const description = shape.cause?.description;
  const text = typeof description === "string" && description ? description : typeof shape.message === "string" ? shape.message : String(error);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Turns whatever gitbeaker threw into one of the code host's errors; `action` says what Flowgate was doing. */
export function gitLabErrorFrom(error: unknown, action: string): CodeHostError {
  if (error instanceof CodeHostRateLimited) return new CodeHostRateLimited(`${action}: ${error.message}`, { status: error.httpStatus, retryAfterSeconds: error.retryAfterSeconds });
  if (error instanceof CodeHostError) return error;
  const status = statusOf(error);
  const words = wordsOf(error);
  // GitLab's per-commit cap on statuses of one name is reported as a 400/422 naming the limit.
  if ((status === 400 || status === 422) && /limit/i.test(words)) return new CodeHostLimitReached(`${action}: GitLab's limit reached (${words})`, { status });
  if (status !== undefined) return new CodeHostError(`${action}: GitLab answered ${status} (${words})`, { status });
  return new CodeHostError(`${action}: ${words || "request failed"}`);
}

export function createGitLabHost(config: GitLabHostConfig): CodeHost {
  const url = config.url.replace(/\/+$/, "");
  const gitUrl = (config.gitUrl ?? url).replace(/\/+$/, "");
  const limits = { ...DEFAULT_GITLAB_LIMITS, ...config.limits };
  const log: GitLabLog = config.log ?? defaultLog.child({ component: "code-host/gitlab" });
  const api = new Gitlab({ host: url, token: config.token, requesterFn: gitLabRequesterFn(limits, log) });

  // The token's own user (a project or group access token acts as a bot user): its notes are ours.
  let self: Promise<number> | null = null;
  const selfId = () => {
    self ??= api.Users.showCurrentUser().then((user) => user.id);
    self.catch(() => {
      self = null;
    });
    return self;
  };

  async function withErrors<T>(action: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw gitLabErrorFrom(error, action);
    }
  }

  // One sticky-comment upsert at a time per pull request in this process, so two publishes never both create it.
  const serialized = keyedQueue();

  return {
    kind: "gitlab",

    async publishCheck(repository, check) {
      const project = projectPath(repository);
      const { state, description } = gitLabStatusOf(check);
      return withErrors(`Publishing status ${check.name} on ${repository.fullName}@${check.headSha.slice(0, 12)}`, async () => {
        // The same state again changes nothing (and GitLab refuses some same-state transitions,
        // running → running): the outbox's exactly-once rests on this. Newest first.
        const statuses = await api.Commits.allStatuses(project, check.headSha, { name: check.name, all: true });
        const latest = [...statuses].filter((s) => s.name === check.name).sort((a, b) => Number(b.id) - Number(a.id))[0];
        if (latest && latest.status === state && (latest.description ?? "") === description && (latest.target_url ?? undefined) === check.detailsUrl) {
          return { id: String(latest.id) };
        }
        const created = await api.Commits.editStatus(project, check.headSha, state as never, {
          name: check.name,
          description,
          ...(check.detailsUrl ? { targetUrl: check.detailsUrl } : {}),
        });
        return { id: String(created.id) };
      });
    },

    async upsertStickyComment(repository, pullRequest, body) {
      const project = projectPath(repository);
      const marked = truncate(body.includes(STICKY_MARKER) ? body : `${STICKY_MARKER}\n${body}`, MAX_NOTE);
      return serialized(`${repository.fullName}!${pullRequest}`, () =>
        withErrors(`Updating the Flowgate note on ${repository.fullName}!${pullRequest}`, async () => {
          const me = await selfId();
          // Ours: carries the marker and was written by this token's user; a person quoting the marker does not make their note ours.
          const notes = await api.MergeRequestNotes.all(project, pullRequest, { perPage: 100, sort: "asc", orderBy: "created_at" });
          const mine = notes.find((note) => !note.system && note.author?.id === me && typeof note.body === "string" && note.body.includes(STICKY_MARKER));
          if (mine) {
            if (mine.body !== marked) await api.MergeRequestNotes.edit(project, pullRequest, mine.id, { body: marked });
            return { id: String(mine.id) };
          }
          const created = await api.MergeRequestNotes.create(project, pullRequest, marked);
          return { id: String(created.id) };
        }),
      );
    },

    async mergePullRequest(repository, pullRequest, options): Promise<MergeResult> {
      const project = projectPath(repository);
      try {
        // GitLab merges with the project's merge method (merge commit, semi-linear, fast-forward);
        // squashing is the one choice per request. "rebase" merges with the project's method.
        const merged = await api.MergeRequests.accept(project, pullRequest, { sha: options.sha, squash: options.method === "squash" });
        if (merged.state !== "merged") return { merged: false, reason: `GitLab left the merge request ${String(merged.state)}${merged.merge_status ? ` (${String(merged.merge_status)})` : ""}` };
        const sha = (merged.merge_commit_sha ?? merged.squash_commit_sha ?? merged.sha) as string | null | undefined;
        return { merged: true, ...(sha ? { sha } : {}) };
      } catch (error) {
        const status = statusOf(error);
        // 405: not mergeable (draft, closed, pipeline or approvals pending); 406: conflicts; 409: the head moved (sha mismatch).
        if (status === 405 || status === 406 || status === 409) {
          const words = wordsOf(error);
          return { merged: false, reason: words || (status === 409 ? "The head of the merge request moved" : "The merge request is not mergeable") };
        }
        throw gitLabErrorFrom(error, `Merging ${repository.fullName}!${pullRequest}`);
      }
    },

    async pullRequestTimes(repository, pullRequest): Promise<PullRequestTimes> {
      const project = projectPath(repository);
      return withErrors(`Reading the times of ${repository.fullName}!${pullRequest}`, async () => {
        const mr = await api.MergeRequests.show(project, pullRequest);
        // GitLab lists a merge request's commits newest first: every page, to reach the first.
        const commits = await api.MergeRequests.allCommits(project, pullRequest, { perPage: 100, maxPages: 50 });
        return {
          openedAt: new Date(mr.created_at),
          firstCommitAt: earliest(commits.flatMap((commit) => [commit.authored_date as string | undefined, commit.committed_date as string | undefined])),
          mergedAt: mr.merged_at ? new Date(mr.merged_at as string) : null,
          closedAt: mr.closed_at ? new Date(mr.closed_at as string) : null,
        };
      });
    },

    async baseStatus(repository, pullRequest, headSha): Promise<BaseStatus> {
      const project = projectPath(repository);
      return withErrors(`Comparing ${repository.fullName}!${pullRequest} with its target branch`, async () => {
        const mr = await api.MergeRequests.show(project, pullRequest, { includeDivergedCommitsCount: true });
        const branch = await api.Branches.show(project, mr.target_branch);
        const behindBy = Number(mr.diverged_commits_count ?? 0);
        // GitLab counts divergence for the merge request's current head: a different head is not
        // the one this run validated, and is treated as behind (its own push starts its own run).
        return { baseRef: mr.target_branch, baseSha: String(branch.commit.id), behindBy: mr.sha === headSha ? behindBy : Math.max(behindBy, 1) };
      });
    },

    async updateBranch(repository, pullRequest): Promise<BranchUpdate> {
      const project = projectPath(repository);
      try {
        await api.MergeRequests.rebase(project, pullRequest);
        return { requested: true };
      } catch (error) {
        // 403: the token may not push to the source branch (a fork); 409: a rebase is running or cannot be done.
        const status = statusOf(error);
        if (status === 403 || status === 409) return { requested: false, reason: wordsOf(error) || "GitLab could not rebase the merge request" };
        throw gitLabErrorFrom(error, `Rebasing ${repository.fullName}!${pullRequest}`);
      }
    },

    // GitLab's deployments belong to its own CI environments; Flowgate's stay in Flowgate.
    async publishDeployment() {
      return null;
    },

    async fetchCredentials(repository): Promise<FetchCredentials> {
      const project = projectPath(repository);
      // GitLab takes an access token over HTTPS as the password of any user name; "oauth2" is the documented one.
      return {
        url: `${gitUrl}/${project}.git`,
        extraHeader: `Authorization: Basic ${Buffer.from(`oauth2:${config.token}`).toString("base64")}`,
        secret: config.token,
      };
    },
  };
}
