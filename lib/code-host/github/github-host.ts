import { log as defaultLog } from "../../log";
import { CodeHostError } from "../code-host-errors";
import type { BaseStatus, BranchUpdate, CheckAnnotation, CheckPublication, CodeHost, FetchCredentials, HostRepository, MergeResult, PullRequestTimes } from "../code-host";
import { keyedQueue } from "../keyed-queue";
import { STICKY_MARKER } from "../publish/sticky-comment";
import { createGitHubAppAuth, type GitHubAppAuth } from "./app-auth";
import { codeHostErrorFrom } from "./github-errors";
import { DEFAULT_LIMITS, GitHubOctokit, gitHubOctokitOptions, type GitHubClientLimits, type GitHubLog } from "./octokit";

/**
 * The GitHub implementation of the code host (issue #18, ADR 018), through the GitHub App's
 * installation tokens: checks, the sticky comment, merges, pull-request times, and credentials for
 * git fetches. Every failure reaches the caller as a CodeHostError; a rate limit that outlasts the
 * bounded retries as CodeHostRateLimited, so the publisher can post nothing rather than a failure.
 */

export interface GitHubHostConfig {
  appId: string | number;
  /** The App's PEM private key. */
  privateKey: string;
  /** The REST API root (default https://api.github.com; https://<host>/api/v3 for GitHub Enterprise Server). */
  baseUrl?: string;
  /** Where repositories are cloned from; derived from baseUrl when absent (see gitBaseUrlFor). */
  gitBaseUrl?: string;
  /** Retries, waits and timeouts (defaults: 2 rate-limit retries within 60 s, 2 retries of a 5xx, 30 s per request). */
  limits?: Partial<GitHubClientLimits>;
  log?: GitHubLog;
  /** The token cache's clock (ms since the epoch). */
  now?: () => number;
  tokenRefreshMarginMs?: number;
}

/** The hidden line that identifies Flowgate's one comment on a pull request. */
/** GitHub accepts at most 50 annotations per check-run request. */
export const MAX_ANNOTATIONS_PER_REQUEST = 50;
// GitHub's documented limits: a check's output summary 65,535 characters, an annotation's message
// 64 KB, an issue comment's body 65,536 characters.
const MAX_SUMMARY = 65_535;
const MAX_ANNOTATION_MESSAGE = 60_000;
const MAX_ANNOTATION_TITLE = 255;
const MAX_COMMENT = 65_536;

const NAME = /^[A-Za-z0-9_.-]+$/;

/** The web origin git clones from, for an API root: github.com for api.github.com, the server for GHES. */
export function gitBaseUrlFor(apiBaseUrl: string): string {
  const url = new URL(apiBaseUrl);
  if (url.hostname === "api.github.com") return "https://github.com";
  // GitHub Enterprise Cloud with data residency: api.<subdomain>.ghe.com serves <subdomain>.ghe.com.
  if (/^api\.[^.]+\.ghe\.com$/.test(url.hostname)) return `${url.protocol}//${url.hostname.slice(4)}`;
  return url.origin;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function ownerAndName(repository: HostRepository): { owner: string; repo: string } {
  const [owner, repo, ...rest] = repository.fullName.split("/");
  if (repository.host !== "github" || !owner || !repo || rest.length > 0 || !NAME.test(owner) || !NAME.test(repo)) {
    throw new CodeHostError(`Not a GitHub repository: ${JSON.stringify(repository.fullName.slice(0, 200))}`);
  }
  return { owner, repo };
}

function toGitHubAnnotation(annotation: CheckAnnotation) {
  return {
    path: annotation.path,
    start_line: annotation.startLine,
    end_line: Math.max(annotation.endLine, annotation.startLine),
    annotation_level: annotation.level,
    message: truncate(annotation.message, MAX_ANNOTATION_MESSAGE),
    ...(annotation.title ? { title: truncate(annotation.title, MAX_ANNOTATION_TITLE) } : {}),
  };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function earliest(dates: (string | null | undefined)[]): Date | null {
  let min: number | null = null;
  for (const date of dates) {
    const time = date ? Date.parse(date) : Number.NaN;
    if (Number.isFinite(time) && (min === null || time < min)) min = time;
  }
  return min === null ? null : new Date(min);
}

export function createGitHubHost(config: GitHubHostConfig): CodeHost {
  const baseUrl = (config.baseUrl ?? "https://api.github.com").replace(/\/+$/, "");
  const gitBaseUrl = (config.gitBaseUrl ?? gitBaseUrlFor(baseUrl)).replace(/\/+$/, "");
  const limits = { ...DEFAULT_LIMITS, ...config.limits };
  const log: GitHubLog = config.log ?? defaultLog.child({ component: "code-host/github" });
  const appAuth: GitHubAppAuth = createGitHubAppAuth(
    { appId: config.appId, privateKey: config.privateKey, baseUrl },
    { now: config.now, refreshMarginMs: config.tokenRefreshMarginMs, limits, log },
  );
  const appId = Number(appAuth.appId);
  const octokitOptions = gitHubOctokitOptions(baseUrl, limits, log);
  const clients = new Map<string, GitHubOctokit>();

  // Octokit's auth strategy for one installation: every request (and every retry of it) takes the
  // cached token; a 401 before the token's expiry (revoked, installation re-keyed) drops the cache
  // and tries once more with a new one.
  type Request = GitHubOctokit["request"];
  const installationAuth = ({ installationId }: { installationId: string }) => {
    const auth = async () => ({ type: "token", tokenType: "installation", token: (await appAuth.installationToken(installationId)).token });
    const hook = async (request: Request, route: Parameters<Request>[0], parameters?: Parameters<Request>[1]) => {
      const endpoint = request.endpoint.merge(route as string, parameters);
      for (let attempt = 0; ; attempt++) {
        const { token } = await appAuth.installationToken(installationId);
        endpoint.headers.authorization = `token ${token}`;
        try {
          return await request(endpoint as typeof endpoint & { url: string });
        } catch (error) {
          if (attempt > 0 || statusOf(error) !== 401) throw error;
          log.warn({ installationId }, "GitHub refused a cached installation token; minting a new one");
          appAuth.forget(installationId);
        }
      }
    };
    return Object.assign(auth, { hook });
  };

  function clientFor(repository: HostRepository): GitHubOctokit {
    let client = clients.get(repository.installationId);
    if (!client) {
      client = new GitHubOctokit({ ...octokitOptions, authStrategy: installationAuth, auth: { installationId: repository.installationId } });
      clients.set(repository.installationId, client);
    }
    return client;
  }

  async function withErrors<T>(action: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw codeHostErrorFrom(error, action);
    }
  }

  // One sticky-comment upsert at a time per pull request in this process, so two publishes never both create it.
  const serialized = keyedQueue();

  return {
    kind: "github",

    async publishCheck(repository: HostRepository, check: CheckPublication) {
      const { owner, repo } = ownerAndName(repository);
      if (check.status === "completed" && !check.conclusion) throw new CodeHostError(`Check ${check.name}: a completed check needs a conclusion`);
      const octokit = clientFor(repository);
      return withErrors(`Publishing check ${check.name} on ${repository.fullName}@${check.headSha.slice(0, 12)}`, async () => {
        const { data: listed } = await octokit.rest.checks.listForRef({ owner, repo, ref: check.headSha, check_name: check.name, app_id: appId, filter: "latest", per_page: 1 });
        const existing = listed.check_runs.find((run) => run.name === check.name && run.head_sha === check.headSha);
        const [first = [], ...rest] = chunks(check.annotations.map(toGitHubAnnotation), MAX_ANNOTATIONS_PER_REQUEST);
        const summary = truncate(check.summary, MAX_SUMMARY);
        const fields = {
          name: check.name,
          status: check.status,
          ...(check.status === "completed" ? { conclusion: check.conclusion } : {}),
          ...(check.detailsUrl ? { details_url: check.detailsUrl } : {}),
          output: { title: check.title, summary, ...(first.length > 0 ? { annotations: first } : {}) },
        };
        // The same state again (a publish job retried after a crash between sending and marking
        // it sent) changes nothing: the outbox's exactly-once rests on this.
        if (existing && sameState(existing, check, summary)) return { id: String(existing.id) };
        // Updated in place, except when that would mislead: GitHub appends annotations on every
        // update (they cannot be removed), and a completed run does not go back to in progress.
        // Then a new run of the same name supersedes it; GitHub shows the newest.
        const reuse =
          existing !== undefined &&
          !((existing.output.annotations_count ?? 0) > 0 && check.annotations.length > 0) &&
          !(existing.status === "completed" && check.status !== "completed");
        const id = reuse
          ? (await octokit.rest.checks.update({ owner, repo, check_run_id: existing.id, ...fields })).data.id
          : (await octokit.rest.checks.create({ owner, repo, head_sha: check.headSha, ...fields })).data.id;
        for (const batch of rest) {
          await octokit.rest.checks.update({ owner, repo, check_run_id: id, output: { title: check.title, summary, annotations: batch } });
        }
        return { id: String(id) };
      });
    },

    async upsertStickyComment(repository: HostRepository, pullRequest: number, body: string) {
      const { owner, repo } = ownerAndName(repository);
      const octokit = clientFor(repository);
      const marked = truncate(body.includes(STICKY_MARKER) ? body : `${STICKY_MARKER}\n${body}`, MAX_COMMENT);
      return serialized(`${repository.fullName}#${pullRequest}`, () =>
        withErrors(`Updating the Flowgate comment on ${repository.fullName}#${pullRequest}`, async () => {
          // Ours: carries the marker and was written by a bot (this App's, when GitHub says which);
          // a person quoting the marker does not make their comment ours.
          const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, { owner, repo, issue_number: pullRequest, per_page: 100 });
          for await (const { data: comments } of pages) {
            const mine = comments.find(
              (comment) =>
                comment.body?.includes(STICKY_MARKER) &&
                comment.user?.type === "Bot" &&
                (comment.performed_via_github_app == null || comment.performed_via_github_app.id === appId),
            );
            if (mine) {
              if (mine.body !== marked) await octokit.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: marked });
              return { id: String(mine.id) };
            }
          }
          const { data: created } = await octokit.rest.issues.createComment({ owner, repo, issue_number: pullRequest, body: marked });
          return { id: String(created.id) };
        }),
      );
    },

    async mergePullRequest(repository, pullRequest, options): Promise<MergeResult> {
      const { owner, repo } = ownerAndName(repository);
      const octokit = clientFor(repository);
      const action = `Merging ${repository.fullName}#${pullRequest}`;
      try {
        const { data } = await octokit.rest.pulls.merge({ owner, repo, pull_number: pullRequest, sha: options.sha, merge_method: options.method });
        return data.merged ? { merged: true, sha: data.sha } : { merged: false, reason: data.message };
      } catch (error) {
        const status = statusOf(error);
        // 405: not mergeable (checks, reviews, conflicts, method not allowed); 409: the head moved.
        if (status === 405 || status === 409) {
          const message = (error as { response?: { data?: { message?: unknown } } }).response?.data?.message;
          return { merged: false, reason: typeof message === "string" ? message : status === 409 ? "The head of the pull request moved" : "The pull request is not mergeable" };
        }
        throw codeHostErrorFrom(error, action);
      }
    },

    async pullRequestTimes(repository, pullRequest): Promise<PullRequestTimes> {
      const { owner, repo } = ownerAndName(repository);
      const octokit = clientFor(repository);
      return withErrors(`Reading the times of ${repository.fullName}#${pullRequest}`, async () => {
        const { data: pull } = await octokit.rest.pulls.get({ owner, repo, pull_number: pullRequest });
        // Oldest first; the first page holds the earliest commits.
        const { data: commits } = await octokit.rest.pulls.listCommits({ owner, repo, pull_number: pullRequest, per_page: 100 });
        return {
          openedAt: new Date(pull.created_at),
          firstCommitAt: earliest(commits.flatMap((commit) => [commit.commit.author?.date, commit.commit.committer?.date])),
          mergedAt: pull.merged_at ? new Date(pull.merged_at) : null,
          closedAt: pull.closed_at ? new Date(pull.closed_at) : null,
        };
      });
    },

    async baseStatus(repository, pullRequest, headSha): Promise<BaseStatus> {
      const { owner, repo } = ownerAndName(repository);
      const octokit = clientFor(repository);
      return withErrors(`Comparing ${repository.fullName}#${pullRequest} with its base`, async () => {
        const { data: pull } = await octokit.rest.pulls.get({ owner, repo, pull_number: pullRequest });
        // The base branch's tip now (the pull request's own base.sha can be older), against the head.
        const { data: compared } = await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${pull.base.ref}...${headSha}`, per_page: 1 });
        return { baseRef: pull.base.ref, baseSha: compared.base_commit.sha, behindBy: compared.behind_by };
      });
    },

    async updateBranch(repository, pullRequest, expectedHeadSha): Promise<BranchUpdate> {
      const { owner, repo } = ownerAndName(repository);
      const octokit = clientFor(repository);
      try {
        await octokit.rest.pulls.updateBranch({ owner, repo, pull_number: pullRequest, expected_head_sha: expectedHeadSha });
        return { requested: true };
      } catch (error) {
        // 422: a merge conflict, or the head moved since (GitHub says which).
        if (statusOf(error) === 422) {
          const message = (error as { response?: { data?: { message?: unknown } } }).response?.data?.message;
          return { requested: false, reason: typeof message === "string" ? message : "GitHub could not update the branch" };
        }
        throw codeHostErrorFrom(error, `Updating the branch of ${repository.fullName}#${pullRequest}`);
      }
    },

    async publishDeployment(repository, deployment) {
      const { owner, repo } = ownerAndName(repository);
      const octokit = clientFor(repository);
      return withErrors(`Recording deployment ${deployment.environment} of ${repository.fullName}@${deployment.headSha.slice(0, 12)}`, async () => {
        // One GitHub deployment per Flowgate deployment and environment, found again by the id in
        // its payload: a publication resent after a crash adds a status, never a second deployment.
        const { data: listed } = await octokit.rest.repos.listDeployments({ owner, repo, sha: deployment.headSha, environment: deployment.environment, per_page: 100 });
        let deploymentId = listed.find((candidate) => isRecord(candidate.payload) && candidate.payload.flowgate === deployment.deploymentId)?.id;
        if (deploymentId === undefined) {
          const { data: created } = await octokit.rest.repos.createDeployment({
            owner,
            repo,
            ref: deployment.headSha,
            environment: deployment.environment,
            description: truncate(deployment.description, 140),
            payload: { flowgate: deployment.deploymentId },
            // A record of what Flowgate deployed, not a request: no merging the default branch in,
            // no waiting for other checks (Flowgate is the gate).
            auto_merge: false,
            required_contexts: [],
            production_environment: deployment.production,
            transient_environment: deployment.transient,
          });
          if (!("id" in created)) throw new CodeHostError(`GitHub did not create the deployment: ${created.message ?? "no reason given"}`);
          deploymentId = created.id;
        }
        await octokit.rest.repos.createDeploymentStatus({
          owner,
          repo,
          deployment_id: deploymentId,
          state: deployment.state,
          description: truncate(deployment.description, 140),
          log_url: deployment.logUrl,
          auto_inactive: deployment.production,
        });
        return { id: String(deploymentId) };
      });
    },

    async fetchCredentials(repository): Promise<FetchCredentials> {
      const { owner, repo } = ownerAndName(repository);
      // A token for this one repository, read-only: enough for a fetch, useless elsewhere.
      const { token } = await appAuth.installationToken(repository.installationId, { repository: repo, permissions: { contents: "read" } });
      return {
        url: `${gitBaseUrl}/${owner}/${repo}.git`,
        extraHeader: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`,
        secret: token,
      };
    },
  };
}

/** Whether a check run on GitHub already shows this publication (status, conclusion, texts, link, annotation count). */
function sameState(
  existing: { status: string; conclusion: string | null; details_url?: string | null; output: { title: string | null; summary: string | null; annotations_count?: number } },
  check: CheckPublication,
  summary: string,
): boolean {
  return (
    existing.status === check.status &&
    (existing.conclusion ?? undefined) === (check.status === "completed" ? check.conclusion : undefined) &&
    existing.output.title === check.title &&
    existing.output.summary === summary &&
    (existing.details_url ?? undefined) === check.detailsUrl &&
    (existing.output.annotations_count ?? 0) === check.annotations.length
  );
}
