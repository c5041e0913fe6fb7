import { execFileSync } from "node:child_process";
import { createPublicKey, randomBytes, verify, type KeyObject } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * GitHub's REST API as a GitHub App sees it, on 127.0.0.1, in GitHub's wire format (the shapes of
 * docs.github.com/rest, API version 2022-11-28), for the code host's tests (issue #18):
 *
 * - `/app` and `/app/installations/{id}/access_tokens` require the App's JWT (`Authorization:
 *   Bearer`): RS256 verified with the App's public key, `iss` the App id, `exp` in the future and at
 *   most ten minutes away, `iat` not in the future. The JWT is checked against the real clock (the
 *   App's JWT library signs with the process clock); everything else reads the fake clock.
 * - Installation tokens (`ghs_…`) expire `tokenLifetimeMs` after minting on the fake clock, can be
 *   narrowed to repositories and permissions, and are required (`token` or `Bearer`) on every
 *   `/repos/...` endpoint: unknown, revoked or expired → 401 Bad credentials; a repository outside
 *   the token → 404; a missing permission → 403 "Resource not accessible by integration".
 * - Check runs (list for a ref with check_name/app_id/filter, create, update with annotations
 *   appended, at most 50 per request, list annotations), issue comments (list with per_page/page
 *   and `Link` headers whose URLs use `/repositories/{id}/…` as GitHub's do, create, update), pull
 *   requests (get, list commits, merge: 405 not mergeable, 409 head moved, 422 bad method; update
 *   branch: 202 accepted, 422 when the expected head is not the head), compare (`base...head`,
 *   answered by real git over the repository's bare directory when the test gives one), and
 *   deployments (create, list by sha/environment, statuses).
 * - `inject()` answers the next matching requests with any status, headers and body (rate limits,
 *   5xx, the 422 of the statuses limit); every request is recorded with the status it got.
 * - `hangAfterApplying()` carries out the next matching request and never answers it: GitHub did
 *   the work, the caller never learnt (a client killed or cut off mid-request).
 */

export interface FakeGitHubRequest {
  method: string;
  /** The path as requested (before `/repositories/{id}` is resolved), without the query. */
  path: string;
  query: Record<string, string>;
  body: any;
  /** Which credential the request carried and whether it was accepted. */
  auth: "app" | "installation" | "none" | "refused";
  /** The accepted credential: the App's JWT or the installation token. */
  token?: string;
  status: number;
}

export interface FakeIssuedToken {
  token: string;
  installationId: string;
  /** Repository names the token is narrowed to; null for every repository of the installation. */
  repositories: string[] | null;
  permissions: Record<string, "read" | "write">;
  expiresAt: Date;
  revoked: boolean;
}

export interface FakeInjection {
  method?: string;
  /** Matched against the resolved path (`/repos/{owner}/{repo}/…`). */
  path: string | RegExp;
  /** How many requests it answers (default 1). */
  times?: number;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeCommitSeed {
  sha: string;
  authorDate: string;
  committerDate?: string;
  message?: string;
}

export interface FakePullSeed {
  number: number;
  headSha: string;
  title?: string;
  createdAt: string;
  mergeable?: boolean;
  commits?: FakeCommitSeed[];
}

export interface FakeUser {
  login: string;
  id?: number;
  type?: "User" | "Bot";
}

export interface FakeGitHubApiOptions {
  appId: number;
  /** The App's public key, to verify its JWTs. */
  publicKey: string | KeyObject;
  appSlug?: string;
  /** Installation id → the repositories ("owner/name") it was granted. */
  installations: Record<string, string[]>;
  /** The installations' permissions (default checks, contents, issues and pull requests: write). */
  installationPermissions?: Record<string, "read" | "write">;
  tokenLifetimeMs?: number;
  /** The fake clock's start (default: now). */
  now?: number;
  /** "owner/name" → a bare git directory holding its branches and pull heads: compare reads it. */
  gitDirs?: Record<string, string>;
}

export interface FakeGitHubApi {
  url: string;
  appId: number;
  clock: { now(): number; set(ms: number): void; advance(ms: number): void };
  /** Lifetime of tokens minted from now on (GitHub's is one hour). */
  tokenLifetimeMs: number;
  requests: FakeGitHubRequest[];
  tokens: FakeIssuedToken[];
  revokeTokens(): void;
  inject(injection: FakeInjection): void;
  hangAfterApplying(matches: (request: FakeGitHubRequest) => boolean): void;
  addPullRequest(repository: string, pull: FakePullSeed): void;
  addComment(repository: string, issueNumber: number, comment: { body: string; user: FakeUser; viaAppId?: number }): { id: number };
  comments(repository: string, issueNumber: number): any[];
  /** Check runs in wire format, each with its `annotations` (all of them, in order). */
  checkRuns(repository: string): any[];
  pull(repository: string, number: number): any;
  /** Deployments in wire format, each with its `statuses` (oldest first). */
  deployments(repository: string): any[];
  /** The pull requests whose branch update was requested, in order. */
  branchUpdates(repository: string): number[];
  close(): Promise<void>;
}

const DOCS = "https://docs.github.com/rest";
const LEVELS = ["notice", "warning", "failure"];
const STATUSES = ["queued", "in_progress", "completed", "waiting", "requested", "pending"];
const CONCLUSIONS = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"];

class Answer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function base64urlJson(part: string): any {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

interface RepoState {
  id: number;
  owner: string;
  name: string;
  installationId: string;
  pulls: Map<number, any>;
  commits: Map<number, any[]>;
  comments: Map<number, any[]>;
  checkRuns: any[];
  annotations: Map<number, any[]>;
  deployments: any[];
  branchUpdates: number[];
}

export async function startFakeGitHubApi(options: FakeGitHubApiOptions): Promise<FakeGitHubApi> {
  const publicKey = typeof options.publicKey === "string" ? createPublicKey(options.publicKey) : options.publicKey;
  const appSlug = options.appSlug ?? "flowgate-test";
  const installationPermissions = options.installationPermissions ?? { checks: "write", contents: "write", deployments: "write", issues: "write", pull_requests: "write", metadata: "read" };
  let clockMs = options.now ?? Date.now();
  let nextId = 1000;
  const newId = () => ++nextId;
  const repos = new Map<string, RepoState>();
  const reposById = new Map<number, RepoState>();
  for (const [installationId, names] of Object.entries(options.installations)) {
    for (const fullName of names) {
      const [owner, name] = fullName.split("/");
      const state: RepoState = { id: newId(), owner, name, installationId, pulls: new Map(), commits: new Map(), comments: new Map(), checkRuns: [], annotations: new Map(), deployments: [], branchUpdates: [] };
      repos.set(fullName.toLowerCase(), state);
      reposById.set(state.id, state);
    }
  }
  const injections: (FakeInjection & { left: number })[] = [];
  const hangs: ((request: FakeGitHubRequest) => boolean)[] = [];
  const hanging = new Set<http.ServerResponse>();
  let baseUrl = "";

  const owner = { login: "flowgate-org", id: 1, node_id: "O_1", type: "Organization", site_admin: false };
  const app = {
    id: options.appId,
    slug: appSlug,
    node_id: `A_${options.appId}`,
    client_id: `Iv1.${options.appId}`,
    owner,
    name: "Flowgate (test)",
    description: "",
    external_url: "https://flowgate.test",
    html_url: `https://github.com/apps/${appSlug}`,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    permissions: installationPermissions,
    events: ["check_run", "pull_request"],
  };
  const botUser = { login: `${appSlug}[bot]`, id: 900000 + options.appId, node_id: `BOT_${options.appId}`, type: "Bot", site_admin: false };

  const api: FakeGitHubApi = {
    url: "",
    appId: options.appId,
    clock: {
      now: () => clockMs,
      set: (ms) => {
        clockMs = ms;
      },
      advance: (ms) => {
        clockMs += ms;
      },
    },
    tokenLifetimeMs: options.tokenLifetimeMs ?? 60 * 60_000,
    requests: [],
    tokens: [],
    revokeTokens() {
      for (const token of api.tokens) token.revoked = true;
    },
    inject(injection) {
      injections.push({ ...injection, left: injection.times ?? 1 });
    },
    hangAfterApplying(matches) {
      hangs.push(matches);
    },
    addPullRequest(repository, seed) {
      const repo = repoOf(repository);
      const created = seed.createdAt;
      repo.pulls.set(seed.number, {
        url: `${baseUrl}/repos/${repo.owner}/${repo.name}/pulls/${seed.number}`,
        id: newId(),
        node_id: `PR_${seed.number}`,
        html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${seed.number}`,
        number: seed.number,
        state: "open",
        locked: false,
        title: seed.title ?? `Pull request ${seed.number}`,
        user: { login: "octocat", id: 583231, node_id: "U_1", type: "User", site_admin: false },
        body: null,
        created_at: created,
        updated_at: created,
        closed_at: null,
        merged_at: null,
        merge_commit_sha: null,
        draft: false,
        head: { label: `${repo.owner}:feature-${seed.number}`, ref: `feature-${seed.number}`, sha: seed.headSha, user: owner, repo: null },
        base: { label: `${repo.owner}:main`, ref: "main", sha: randomBytes(20).toString("hex"), user: owner, repo: null },
        author_association: "CONTRIBUTOR",
        merged: false,
        mergeable: seed.mergeable ?? true,
        mergeable_state: seed.mergeable === false ? "blocked" : "clean",
        merged_by: null,
        comments: 0,
        commits: seed.commits?.length ?? 0,
        additions: 0,
        deletions: 0,
        changed_files: 0,
      });
      repo.commits.set(
        seed.number,
        (seed.commits ?? []).map((commit) => ({
          sha: commit.sha,
          node_id: `C_${commit.sha.slice(0, 8)}`,
          url: `${baseUrl}/repos/${repo.owner}/${repo.name}/commits/${commit.sha}`,
          html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${commit.sha}`,
          commit: {
            author: { name: "Octo Cat", email: "octocat@example.com", date: commit.authorDate },
            committer: { name: "Octo Cat", email: "octocat@example.com", date: commit.committerDate ?? commit.authorDate },
            message: commit.message ?? "A change",
            tree: { sha: randomBytes(20).toString("hex"), url: "" },
            comment_count: 0,
          },
          author: { login: "octocat", id: 583231, type: "User" },
          committer: { login: "octocat", id: 583231, type: "User" },
          parents: [],
        })),
      );
      repo.comments.set(seed.number, repo.comments.get(seed.number) ?? []);
    },
    addComment(repository, issueNumber, comment) {
      const repo = repoOf(repository);
      return createComment(repo, issueNumber, comment.body, { login: comment.user.login, id: comment.user.id ?? newId(), node_id: "U_x", type: comment.user.type ?? "User", site_admin: false }, comment.viaAppId === options.appId ? app : comment.viaAppId ? { ...app, id: comment.viaAppId, slug: "another-app" } : null);
    },
    comments: (repository, issueNumber) => repoOf(repository).comments.get(issueNumber) ?? [],
    checkRuns: (repository) => {
      const repo = repoOf(repository);
      return repo.checkRuns.map((run) => ({ ...checkRunJson(repo, run), annotations: repo.annotations.get(run.id) ?? [] }));
    },
    pull: (repository, number) => repoOf(repository).pulls.get(number),
    deployments: (repository) => repoOf(repository).deployments,
    branchUpdates: (repository) => repoOf(repository).branchUpdates,
    close: () =>
      new Promise((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function repoOf(fullName: string): RepoState {
    const repo = repos.get(fullName.toLowerCase());
    if (!repo) throw new Error(`The fake has no repository ${fullName}`);
    return repo;
  }

  function createComment(repo: RepoState, issueNumber: number, body: string, user: any, via: any) {
    const id = newId();
    const comment = {
      url: `${baseUrl}/repos/${repo.owner}/${repo.name}/issues/comments/${id}`,
      html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${issueNumber}#issuecomment-${id}`,
      issue_url: `${baseUrl}/repos/${repo.owner}/${repo.name}/issues/${issueNumber}`,
      id,
      node_id: `IC_${id}`,
      user,
      created_at: iso(clockMs),
      updated_at: iso(clockMs),
      author_association: user.type === "Bot" ? "NONE" : "CONTRIBUTOR",
      body,
      performed_via_github_app: via,
    };
    const list = repo.comments.get(issueNumber) ?? [];
    list.push(comment);
    repo.comments.set(issueNumber, list);
    return comment;
  }

  function checkRunJson(repo: RepoState, run: any) {
    return {
      id: run.id,
      head_sha: run.head_sha,
      node_id: `CR_${run.id}`,
      external_id: run.external_id ?? "",
      url: `${baseUrl}/repos/${repo.owner}/${repo.name}/check-runs/${run.id}`,
      html_url: `https://github.com/${repo.owner}/${repo.name}/runs/${run.id}`,
      details_url: run.details_url ?? null,
      status: run.status,
      conclusion: run.conclusion ?? null,
      started_at: run.started_at,
      completed_at: run.completed_at ?? null,
      output: {
        title: run.output.title ?? null,
        summary: run.output.summary ?? null,
        text: run.output.text ?? null,
        annotations_count: (repo.annotations.get(run.id) ?? []).length,
        annotations_url: `${baseUrl}/repos/${repo.owner}/${repo.name}/check-runs/${run.id}/annotations`,
      },
      name: run.name,
      check_suite: { id: run.check_suite_id },
      app,
      pull_requests: [],
    };
  }

  const validation = (message: string) => new Answer(422, { message, documentation_url: `${DOCS}/checks/runs` });
  const notFound = () => new Answer(404, { message: "Not Found", documentation_url: DOCS, status: "404" });

  function validateCheckRun(body: any, creating: boolean): Answer | null {
    if (creating && (typeof body.name !== "string" || !body.name)) return validation('Invalid request.\n\n"name" wasn\'t supplied.');
    if (creating && (typeof body.head_sha !== "string" || !body.head_sha)) return validation('Invalid request.\n\n"head_sha" wasn\'t supplied.');
    if (body.status !== undefined && !STATUSES.includes(body.status)) return validation(`Invalid request.\n\nFor 'properties/status', "${body.status}" is not a member of enum.`);
    if (body.conclusion !== undefined && !CONCLUSIONS.includes(body.conclusion)) return validation(`Invalid request.\n\nFor 'properties/conclusion', "${body.conclusion}" is not a member of enum.`);
    if (body.status === "completed" && !body.conclusion) return validation("Invalid request.\n\nNo subschema in \"anyOf\" matched.\n\"conclusion\" wasn't supplied.");
    const annotations = body.output?.annotations;
    if (annotations !== undefined) {
      if (!body.output.title || !body.output.summary) return validation('Invalid request.\n\n"title", "summary" weren\'t supplied.');
      if (!Array.isArray(annotations)) return validation("Invalid request.\n\nFor 'properties/annotations', it is not an array.");
      if (annotations.length > 50) return validation("Invalid request.\n\nFor 'properties/annotations', the maximum number of items is 50.");
      for (const a of annotations) {
        if (typeof a.path !== "string" || !Number.isInteger(a.start_line) || !Number.isInteger(a.end_line) || !LEVELS.includes(a.annotation_level) || typeof a.message !== "string") {
          return validation("Invalid request.\n\nFor 'items', an annotation is missing path, start_line, end_line, annotation_level or message.");
        }
      }
    }
    return null;
  }

  function page<T>(items: T[], query: Record<string, string>, pathForLink: string, host: string): Answer {
    const perPage = Math.min(100, Math.max(1, Number(query.per_page) || 30));
    const pageNumber = Math.max(1, Number(query.page) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((pageNumber - 1) * perPage, pageNumber * perPage);
    const link = (n: number) => {
      const params = new URLSearchParams({ ...query, per_page: String(perPage), page: String(n) });
      return `http://${host}${pathForLink}?${params}`;
    };
    const rels: string[] = [];
    if (pageNumber > 1) rels.push(`<${link(pageNumber - 1)}>; rel="prev"`);
    if (pageNumber < last) rels.push(`<${link(pageNumber + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
    if (pageNumber > 1) rels.push(`<${link(1)}>; rel="first"`);
    return new Answer(200, slice, rels.length > 0 ? { link: rels.join(", ") } : {});
  }

  function verifyJwt(authorization: string | undefined): boolean {
    const jwt = /^Bearer (\S+)$/i.exec(authorization ?? "")?.[1];
    if (!jwt) return false;
    const parts = jwt.split(".");
    if (parts.length !== 3) return false;
    try {
      const header = base64urlJson(parts[0]);
      const payload = base64urlJson(parts[1]);
      if (header.alg !== "RS256") return false;
      if (!verify("RSA-SHA256", Buffer.from(`${parts[0]}.${parts[1]}`), publicKey, Buffer.from(parts[2], "base64url"))) return false;
      const now = Math.floor(Date.now() / 1000);
      if (String(payload.iss) !== String(options.appId)) return false;
      if (typeof payload.exp !== "number" || payload.exp <= now || payload.exp > now + 600 + 60) return false;
      if (typeof payload.iat !== "number" || payload.iat > now + 60) return false;
      return true;
    } catch {
      return false;
    }
  }

  const satisfies = (granted: string | undefined, needed: "read" | "write") => granted === "write" || (granted === "read" && needed === "read");

  async function handle(method: string, path: string, query: Record<string, string>, body: any, record: FakeGitHubRequest, authorization: string | undefined, host: string): Promise<Answer> {
    // --- the App's own endpoints: JWT only
    if (path === "/app" || path.startsWith("/app/")) {
      if (!verifyJwt(authorization)) {
        record.auth = "refused";
        return new Answer(401, { message: "A JSON web token could not be decoded", documentation_url: DOCS, status: "401" });
      }
      record.auth = "app";
      record.token = /^Bearer (\S+)$/i.exec(authorization ?? "")?.[1];
      const injected = takeInjection(method, path);
      if (injected) return injected;
      if (method === "GET" && path === "/app") return new Answer(200, app);
      const mint = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
      if (method === "POST" && mint) {
        const installationId = mint[1];
        const granted = Object.entries(options.installations).find(([id]) => id === installationId)?.[1];
        if (!granted) return notFound();
        const names = granted.map((fullName) => fullName.split("/")[1]);
        const requested: string[] | undefined = body?.repositories;
        if (requested !== undefined && (!Array.isArray(requested) || requested.some((name) => !names.includes(name)))) {
          return new Answer(422, { message: "There is at least one repository that does not exist or is not accessible to the parent installation.", documentation_url: `${DOCS}/apps/apps#create-an-installation-access-token-for-an-app`, status: "422" });
        }
        const permissions: Record<string, "read" | "write"> = body?.permissions ?? installationPermissions;
        if (Object.entries(permissions).some(([name, level]) => !satisfies(installationPermissions[name], level))) {
          return new Answer(422, { message: "The permissions requested are not granted to this installation.", documentation_url: `${DOCS}/apps/apps#create-an-installation-access-token-for-an-app`, status: "422" });
        }
        const issued: FakeIssuedToken = {
          token: `ghs_${randomBytes(18).toString("base64url").replace(/[-_]/g, "x").slice(0, 36)}`,
          installationId,
          repositories: requested ?? null,
          permissions,
          expiresAt: new Date(Math.floor((clockMs + api.tokenLifetimeMs) / 1000) * 1000),
          revoked: false,
        };
        api.tokens.push(issued);
        const repositories = (requested ?? names).map((name) => {
          const repo = repoOf(`${granted.find((fullName) => fullName.split("/")[1] === name)}`);
          return { id: repo.id, node_id: `R_${repo.id}`, name: repo.name, full_name: `${repo.owner}/${repo.name}`, private: true, owner };
        });
        return new Answer(201, {
          token: issued.token,
          expires_at: iso(issued.expiresAt.getTime()),
          permissions,
          repository_selection: requested ? "selected" : "all",
          ...(requested ? { repositories } : {}),
        });
      }
      return notFound();
    }

    // --- repository endpoints: an installation token
    const repoPath = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    if (!repoPath) return notFound();
    const token = /^(?:token|Bearer) (\S+)$/i.exec(authorization ?? "")?.[1];
    const issued = api.tokens.find((t) => t.token === token);
    if (!issued || issued.revoked || issued.expiresAt.getTime() <= clockMs) {
      record.auth = token ? "refused" : "none";
      return new Answer(401, { message: "Bad credentials", documentation_url: DOCS, status: "401" });
    }
    record.auth = "installation";
    record.token = issued.token;
    const repo = repos.get(`${repoPath[1]}/${repoPath[2]}`.toLowerCase());
    if (!repo || repo.installationId !== issued.installationId || (issued.repositories && !issued.repositories.includes(repo.name))) return notFound();
    const rest = repoPath[3] ?? "";
    const need = (permission: string | string[], level: "read" | "write"): Answer | null =>
      ([] as string[]).concat(permission).some((name) => satisfies(issued.permissions[name], level))
        ? null
        : new Answer(403, { message: "Resource not accessible by integration", documentation_url: DOCS, status: "403" });
    const injected = takeInjection(method, path);
    if (injected) return injected;

    let match: RegExpExecArray | null;
    // Check runs
    if (method === "GET" && (match = /^\/commits\/([^/]+)\/check-runs$/.exec(rest))) {
      const denied = need("checks", "read");
      if (denied) return denied;
      const ref = match[1];
      let runs = repo.checkRuns.filter((run) => run.head_sha === ref);
      if (query.check_name) runs = runs.filter((run) => run.name === query.check_name);
      if (query.status) runs = runs.filter((run) => run.status === query.status);
      if (query.app_id) runs = runs.filter(() => Number(query.app_id) === options.appId);
      runs = [...runs].sort((a, b) => b.id - a.id);
      if ((query.filter ?? "latest") === "latest") runs = runs.filter((run, i) => runs.findIndex((other) => other.name === run.name) === i);
      const paged = page(runs, query, `/repositories/${repo.id}/commits/${ref}/check-runs`, host);
      return new Answer(200, { total_count: runs.length, check_runs: (paged.body as any[]).map((run) => checkRunJson(repo, run)) }, paged.headers);
    }
    if (method === "POST" && rest === "/check-runs") {
      const denied = need("checks", "write");
      if (denied) return denied;
      const invalid = validateCheckRun(body ?? {}, true);
      if (invalid) return invalid;
      const run = {
        id: newId(),
        name: body.name,
        head_sha: body.head_sha,
        external_id: body.external_id,
        details_url: body.details_url,
        status: body.status ?? (body.conclusion ? "completed" : "queued"),
        conclusion: body.conclusion ?? null,
        started_at: body.started_at ?? iso(clockMs),
        completed_at: body.conclusion ? (body.completed_at ?? iso(clockMs)) : null,
        output: { title: body.output?.title, summary: body.output?.summary, text: body.output?.text },
        check_suite_id: 5000 + repo.id,
      };
      repo.checkRuns.push(run);
      repo.annotations.set(run.id, [...(body.output?.annotations ?? [])]);
      return new Answer(201, checkRunJson(repo, run));
    }
    if ((match = /^\/check-runs\/(\d+)(\/annotations)?$/.exec(rest))) {
      const run = repo.checkRuns.find((candidate) => candidate.id === Number(match![1]));
      if (!run) return notFound();
      if (method === "GET" && match[2]) {
        const denied = need("checks", "read");
        return denied ?? page(repo.annotations.get(run.id) ?? [], query, `/repositories/${repo.id}/check-runs/${run.id}/annotations`, host);
      }
      if (method === "GET") return need("checks", "read") ?? new Answer(200, checkRunJson(repo, run));
      if (method === "PATCH" && !match[2]) {
        const denied = need("checks", "write");
        if (denied) return denied;
        const invalid = validateCheckRun(body ?? {}, false);
        if (invalid) return invalid;
        if (body.name !== undefined) run.name = body.name;
        if (body.details_url !== undefined) run.details_url = body.details_url;
        if (body.external_id !== undefined) run.external_id = body.external_id;
        if (body.status !== undefined) run.status = body.status;
        if (body.conclusion !== undefined) {
          run.conclusion = body.conclusion;
          run.status = "completed";
          run.completed_at = body.completed_at ?? iso(clockMs);
        }
        if (body.output) {
          run.output = { ...run.output, title: body.output.title ?? run.output.title, summary: body.output.summary ?? run.output.summary, text: body.output.text ?? run.output.text };
          // GitHub appends the annotations of each update to those the run already has.
          repo.annotations.get(run.id)!.push(...(body.output.annotations ?? []));
        }
        return new Answer(200, checkRunJson(repo, run));
      }
      return notFound();
    }
    // Issue comments
    if ((match = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const issueNumber = Number(match[1]);
      if (!repo.pulls.has(issueNumber) && !repo.comments.has(issueNumber)) return notFound();
      if (method === "GET") return need(["issues", "pull_requests"], "read") ?? page(repo.comments.get(issueNumber) ?? [], query, `/repositories/${repo.id}/issues/${issueNumber}/comments`, host);
      if (method === "POST") {
        const denied = need(["issues", "pull_requests"], "write");
        if (denied) return denied;
        if (typeof body?.body !== "string" || body.body === "") return new Answer(422, { message: "Invalid request.\n\n\"body\" wasn't supplied.", documentation_url: `${DOCS}/issues/comments`, status: "422" });
        if (body.body.length > 65536) return new Answer(422, { message: "Validation Failed", errors: [{ resource: "IssueComment", code: "custom", field: "body", message: "body is too long (maximum is 65536 characters)" }], documentation_url: `${DOCS}/issues/comments`, status: "422" });
        return new Answer(201, createComment(repo, issueNumber, body.body, botUser, app));
      }
      return notFound();
    }
    if ((match = /^\/issues\/comments\/(\d+)$/.exec(rest))) {
      const comment = [...repo.comments.values()].flat().find((candidate) => candidate.id === Number(match![1]));
      if (!comment) return notFound();
      if (method === "GET") return need(["issues", "pull_requests"], "read") ?? new Answer(200, comment);
      if (method === "PATCH") {
        const denied = need(["issues", "pull_requests"], "write");
        if (denied) return denied;
        if (typeof body?.body !== "string" || body.body === "") return new Answer(422, { message: "Invalid request.\n\n\"body\" wasn't supplied.", documentation_url: `${DOCS}/issues/comments`, status: "422" });
        comment.body = body.body;
        comment.updated_at = iso(clockMs);
        return new Answer(200, comment);
      }
      return notFound();
    }
    // Compare: the base's tip and how far the head is ahead of and behind it, from real git.
    if (method === "GET" && (match = /^\/compare\/(.+)\.\.\.(.+)$/.exec(rest))) {
      const denied = need("contents", "read");
      if (denied) return denied;
      const gitDir = options.gitDirs?.[`${repo.owner}/${repo.name}`];
      const revParse = (ref: string) => {
        try {
          return execFileSync("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd: gitDir, encoding: "utf8" }).trim();
        } catch {
          return null;
        }
      };
      const [baseName, headName] = [decodeURIComponent(match[1]), decodeURIComponent(match[2])];
      const baseSha = gitDir ? (revParse(`refs/heads/${baseName}`) ?? revParse(baseName)) : null;
      const headSha = gitDir ? (revParse(`refs/heads/${headName}`) ?? revParse(headName)) : null;
      if (!baseSha || !headSha) return notFound();
      const count = (range: string) => Number(execFileSync("git", ["rev-list", "--count", range], { cwd: gitDir, encoding: "utf8" }).trim());
      const [ahead, behind] = [count(`${baseSha}..${headSha}`), count(`${headSha}..${baseSha}`)];
      const mergeBase = execFileSync("git", ["merge-base", baseSha, headSha], { cwd: gitDir, encoding: "utf8" }).trim();
      const commitJson = (sha: string) => ({ sha, node_id: `C_${sha.slice(0, 8)}`, url: `${baseUrl}/repos/${repo.owner}/${repo.name}/commits/${sha}`, commit: { message: "" }, parents: [] });
      return new Answer(200, {
        url: `${baseUrl}/repos/${repo.owner}/${repo.name}/compare/${baseName}...${headName}`,
        html_url: `https://github.com/${repo.owner}/${repo.name}/compare/${baseName}...${headName}`,
        base_commit: commitJson(baseSha),
        merge_base_commit: commitJson(mergeBase),
        status: ahead === 0 && behind === 0 ? "identical" : behind === 0 ? "ahead" : ahead === 0 ? "behind" : "diverged",
        ahead_by: ahead,
        behind_by: behind,
        total_commits: ahead,
        commits: [],
        files: [],
      });
    }
    // Deployments and their statuses
    if (rest === "/deployments") {
      if (method === "GET") {
        const denied = need("deployments", "read");
        if (denied) return denied;
        const listed = repo.deployments.filter((d) => (!query.sha || d.sha === query.sha) && (!query.environment || d.environment === query.environment)).reverse();
        return page(listed.map(({ statuses: _statuses, ...d }) => d), query, `/repositories/${repo.id}/deployments`, host);
      }
      if (method === "POST") {
        const denied = need("deployments", "write");
        if (denied) return denied;
        if (typeof body?.ref !== "string" || !body.ref) return new Answer(422, { message: "Invalid request.\n\n\"ref\" wasn't supplied.", documentation_url: `${DOCS}/deployments/deployments`, status: "422" });
        const id = newId();
        const deployment = {
          url: `${baseUrl}/repos/${repo.owner}/${repo.name}/deployments/${id}`,
          id,
          node_id: `DE_${id}`,
          sha: body.ref,
          ref: body.ref,
          task: body.task ?? "deploy",
          payload: body.payload ?? {},
          original_environment: body.environment ?? "production",
          environment: body.environment ?? "production",
          description: body.description ?? null,
          creator: botUser,
          created_at: iso(clockMs),
          updated_at: iso(clockMs),
          statuses_url: `${baseUrl}/repos/${repo.owner}/${repo.name}/deployments/${id}/statuses`,
          repository_url: `${baseUrl}/repos/${repo.owner}/${repo.name}`,
          transient_environment: body.transient_environment ?? false,
          production_environment: body.production_environment ?? (body.environment ?? "production") === "production",
          performed_via_github_app: app,
          statuses: [] as any[],
        };
        repo.deployments.push(deployment);
        const { statuses: _statuses, ...wire } = deployment;
        return new Answer(201, wire);
      }
    }
    if ((match = /^\/deployments\/(\d+)\/statuses$/.exec(rest)) && method === "POST") {
      const denied = need("deployments", "write");
      if (denied) return denied;
      const deployment = repo.deployments.find((d) => d.id === Number(match![1]));
      if (!deployment) return notFound();
      if (!["error", "failure", "inactive", "in_progress", "queued", "pending", "success"].includes(body?.state)) {
        return new Answer(422, { message: "Validation Failed", errors: [{ resource: "DeploymentStatus", code: "custom", field: "state", message: `state is not included in the list` }], documentation_url: `${DOCS}/deployments/statuses`, status: "422" });
      }
      const status = { id: newId(), state: body.state, description: body.description ?? "", environment: deployment.environment, log_url: body.log_url ?? "", environment_url: body.environment_url ?? "", creator: botUser, created_at: iso(clockMs), updated_at: iso(clockMs), deployment_url: deployment.url };
      deployment.statuses.push(status);
      return new Answer(201, status);
    }
    // Pull requests
    if ((match = /^\/pulls\/(\d+)(\/commits|\/merge|\/update-branch)?$/.exec(rest))) {
      const pull = repo.pulls.get(Number(match[1]));
      if (!pull) return notFound();
      if (method === "GET" && !match[2]) return need("pull_requests", "read") ?? new Answer(200, pull);
      if (method === "GET" && match[2] === "/commits") {
        return need("pull_requests", "read") ?? page(repo.commits.get(pull.number) ?? [], query, `/repositories/${repo.id}/pulls/${pull.number}/commits`, host);
      }
      if (method === "PUT" && match[2] === "/update-branch") {
        const denied = need("contents", "write");
        if (denied) return denied;
        if (body?.expected_head_sha && body.expected_head_sha !== pull.head.sha) {
          return new Answer(422, { message: "expected head sha didn't match current head ref.", documentation_url: `${DOCS}/pulls/pulls#update-a-pull-request-branch`, status: "422" });
        }
        repo.branchUpdates.push(pull.number);
        return new Answer(202, { message: "Updating pull request branch.", url: pull.html_url });
      }
      if (method === "PUT" && match[2] === "/merge") {
        const denied = need("contents", "write");
        if (denied) return denied;
        const mergeMethod = body?.merge_method ?? "merge";
        if (!["merge", "squash", "rebase"].includes(mergeMethod)) return new Answer(422, { message: `Invalid request.\n\n"${mergeMethod}" is not a member of enum.`, documentation_url: `${DOCS}/pulls/pulls#merge-a-pull-request`, status: "422" });
        if (pull.state !== "open" || !pull.mergeable) return new Answer(405, { message: "Pull Request is not mergeable", documentation_url: `${DOCS}/pulls/pulls#merge-a-pull-request`, status: "405" });
        if (body?.sha && body.sha !== pull.head.sha) return new Answer(409, { message: "Head branch was modified. Review and try the merge again.", documentation_url: `${DOCS}/pulls/pulls#merge-a-pull-request`, status: "409" });
        const sha = randomBytes(20).toString("hex");
        Object.assign(pull, { state: "closed", merged: true, merged_at: iso(clockMs), closed_at: iso(clockMs), updated_at: iso(clockMs), merge_commit_sha: sha, merged_by: botUser });
        return new Answer(200, { sha, merged: true, message: "Pull Request successfully merged" });
      }
      return notFound();
    }
    return notFound();
  }

  function takeInjection(method: string, path: string): Answer | null {
    const index = injections.findIndex((rule) => rule.left > 0 && (!rule.method || rule.method === method) && (typeof rule.path === "string" ? rule.path === path : rule.path.test(path)));
    if (index < 0) return null;
    const rule = injections[index];
    rule.left -= 1;
    if (rule.left === 0) injections.splice(index, 1);
    return new Answer(rule.status, rule.body ?? { message: http.STATUS_CODES[rule.status] ?? "Error", documentation_url: DOCS }, rule.headers);
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://github.test");
    const method = req.method ?? "GET";
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const query = Object.fromEntries(url.searchParams);
    const record: FakeGitHubRequest = { method, path: url.pathname, query, body: undefined, auth: "none", status: 0 };
    api.requests.push(record);
    let answer: Answer;
    try {
      record.body = raw ? JSON.parse(raw) : undefined;
      // GitHub's pagination links use /repositories/{id}/…; resolve them to the repository's path.
      let path = url.pathname;
      const byId = /^\/repositories\/(\d+)(\/.*)?$/.exec(path);
      if (byId) {
        const repo = reposById.get(Number(byId[1]));
        path = repo ? `/repos/${repo.owner}/${repo.name}${byId[2] ?? ""}` : "/not-found";
      }
      answer = await handle(method, path, query, record.body, record, req.headers.authorization, req.headers.host ?? "127.0.0.1");
    } catch (error) {
      answer = error instanceof SyntaxError ? new Answer(400, { message: "Problems parsing JSON", documentation_url: DOCS, status: "400" }) : new Answer(500, { message: String(error) });
    }
    const hang = hangs.findIndex((matches) => matches(record));
    if (hang >= 0 && answer.status < 300) {
      hangs.splice(hang, 1);
      hanging.add(res);
      return;
    }
    record.status = answer.status;
    const reset = Math.floor(clockMs / 1000) + 3600;
    res.writeHead(answer.status, {
      "content-type": "application/json; charset=utf-8",
      "x-github-api-version-selected": "2022-11-28",
      "x-github-request-id": randomBytes(8).toString("hex").toUpperCase(),
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-reset": String(reset),
      "x-ratelimit-used": "1",
      "x-ratelimit-resource": "core",
      ...answer.headers,
    });
    res.end(answer.status === 204 ? undefined : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.url = baseUrl;
  return api;
}
