import { execFileSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * GitLab's REST API v4 as a project access token sees it, on 127.0.0.1, in GitLab's JSON shapes
 * (docs.gitlab.com/api: commits, commit statuses, notes, merge requests), for the code host's tests
 * (issue #18):
 *
 * - Every request must carry the token as gitbeaker sends it (`PRIVATE-TOKEN`) or as OAuth
 *   (`Authorization: Bearer`); otherwise 401 {"message":"401 Unauthorized"}.
 * - Projects are addressed by URL-encoded path (`group%2Fsub%2Fproject`) or numeric id; an
 *   unknown one is 404 {"message":"404 Project Not Found"}.
 * - Commit statuses: GET /projects/:id/repository/commits/:sha/statuses (name, all), POST
 *   /projects/:id/statuses/:sha (state pending|running|success|failed|canceled|skipped; a
 *   same-state "running → running" is 400 "Cannot transition status", as GitLab answers).
 * - Merge request notes: list with page/per_page and GitLab's pagination headers (x-page,
 *   x-next-page, x-total, x-total-pages, Link), create, edit; GET /user (the token's bot user).
 * - Merge requests: show (with `include_diverged_commits_count`, counted by real git over the
 *   project's bare directory when the test gives one), commits (newest first, paginated), PUT merge
 *   (sha mismatch → 409, not mergeable → 405, conflicts → 406), PUT rebase (202, recorded); a
 *   branch (GET repository/branches/:name, from git).
 * - `inject()` answers the next matching requests with any status, headers and body; every request
 *   is recorded with the status it got.
 */

export interface FakeGitLabRequest {
  method: string;
  /** The decoded path, without the query. */
  path: string;
  query: Record<string, string>;
  body: any;
  /** How the token came: the PRIVATE-TOKEN header, a Bearer token, or none/refused. */
  auth: "private-token" | "bearer" | "refused";
  status: number;
}

export interface FakeGitLabInjection {
  method?: string;
  /** Matched against the decoded path (`/api/v4/projects/group/project/...`). */
  path: string | RegExp;
  times?: number;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeGitLabCommit {
  sha: string;
  authoredDate: string;
  committedDate?: string;
  message?: string;
}

export interface FakeGitLabMergeRequestSeed {
  iid: number;
  headSha: string;
  title?: string;
  createdAt: string;
  sourceBranch?: string;
  targetBranch?: string;
  mergeable?: boolean;
  conflicts?: boolean;
  commits?: FakeGitLabCommit[];
}

export interface FakeGitLabNote {
  id: number;
  body: string;
  author: { id: number; username: string; name: string; bot?: boolean };
  system: boolean;
  created_at: string;
  updated_at: string;
  noteable_type: "MergeRequest";
  noteable_iid: number;
}

export interface FakeGitLabStatus {
  id: number;
  sha: string;
  ref: string | null;
  status: string;
  name: string;
  target_url: string | null;
  description: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  allow_failure: boolean;
  coverage: number | null;
  author: { id: number; username: string };
  pipeline_id: number;
}

export interface FakeGitLabProject {
  id: number;
  pathWithNamespace: string;
  statuses: FakeGitLabStatus[];
  notes: Map<number, FakeGitLabNote[]>;
  mergeRequests: Map<number, FakeGitLabMergeRequest>;
  rebases: number[];
}

export interface FakeGitLabMergeRequest {
  iid: number;
  id: number;
  title: string;
  state: "opened" | "closed" | "merged";
  sha: string;
  sourceBranch: string;
  targetBranch: string;
  createdAt: string;
  mergedAt: string | null;
  closedAt: string | null;
  mergeCommitSha: string | null;
  squashCommitSha: string | null;
  squash: boolean;
  mergeable: boolean;
  conflicts: boolean;
  commits: FakeGitLabCommit[];
}

export interface FakeGitLabOptions {
  token: string;
  /** The token's bot user (GET /user). */
  user?: { id: number; username: string };
  /** Project path → a bare git directory with its branches: divergence and branches read it. */
  gitDirs?: Record<string, string>;
}

export interface FakeGitLab {
  /** http://127.0.0.1:<port> (GITLAB_URL); the API is under /api/v4. */
  url: string;
  requests: FakeGitLabRequest[];
  addProject(pathWithNamespace: string, id?: number): FakeGitLabProject;
  project(pathWithNamespace: string): FakeGitLabProject;
  addMergeRequest(pathWithNamespace: string, seed: FakeGitLabMergeRequestSeed): FakeGitLabMergeRequest;
  /** A note by someone else (a person), for the "is it ours" checks. */
  addNote(pathWithNamespace: string, iid: number, body: string, author?: { id: number; username: string }): FakeGitLabNote;
  inject(injection: FakeGitLabInjection): void;
  /** The merge requests whose rebase was requested, in order. */
  rebases(pathWithNamespace: string): number[];
  close(): Promise<void>;
}

const STATES = new Set(["pending", "running", "success", "failed", "canceled", "skipped"]);

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body === undefined ? "" : JSON.stringify(body));
}

export async function startFakeGitLab(options: FakeGitLabOptions): Promise<FakeGitLab> {
  const user = options.user ?? { id: 9001, username: "project_1_bot_flowgate" };
  const projects = new Map<string, FakeGitLabProject>();
  const requests: FakeGitLabRequest[] = [];
  const injections: (FakeGitLabInjection & { left: number })[] = [];
  let nextId = 1000;
  let url = "";

  const findProject = (key: string): FakeGitLabProject | undefined => {
    if (/^\d+$/.test(key)) return [...projects.values()].find((p) => p.id === Number(key));
    return projects.get(key);
  };

  function paginate(res: http.ServerResponse, path: string, query: Record<string, string>, items: unknown[]) {
    const perPage = Math.min(Math.max(Number(query.per_page ?? 20) || 20, 1), 100);
    const page = Math.max(Number(query.page ?? 1) || 1, 1);
    const totalPages = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {
      "x-page": String(page),
      "x-per-page": String(perPage),
      "x-total": String(items.length),
      "x-total-pages": String(totalPages),
      "x-next-page": page < totalPages ? String(page + 1) : "",
      "x-prev-page": page > 1 ? String(page - 1) : "",
    };
    const link = (p: number, rel: string) => {
      const params = new URLSearchParams({ ...query, page: String(p), per_page: String(perPage) });
      return `<${url}${path}?${params.toString()}>; rel="${rel}"`;
    };
    const links = [...(page < totalPages ? [link(page + 1, "next")] : []), ...(page > 1 ? [link(page - 1, "prev")] : []), link(1, "first"), link(totalPages, "last")];
    headers.link = links.join(", ");
    json(res, 200, slice, headers);
  }

  function mergeRequestJson(project: FakeGitLabProject, mr: FakeGitLabMergeRequest) {
    return {
      id: mr.id,
      iid: mr.iid,
      project_id: project.id,
      title: mr.title,
      description: "",
      state: mr.state,
      created_at: mr.createdAt,
      updated_at: mr.mergedAt ?? mr.closedAt ?? mr.createdAt,
      merged_at: mr.mergedAt,
      closed_at: mr.closedAt,
      target_branch: mr.targetBranch,
      source_branch: mr.sourceBranch,
      source_project_id: project.id,
      target_project_id: project.id,
      draft: false,
      work_in_progress: false,
      merge_status: mr.conflicts ? "cannot_be_merged" : mr.mergeable ? "can_be_merged" : "cannot_be_merged",
      detailed_merge_status: mr.conflicts ? "conflict" : mr.mergeable ? "mergeable" : "ci_must_pass",
      sha: mr.sha,
      merge_commit_sha: mr.mergeCommitSha,
      squash_commit_sha: mr.squashCommitSha,
      squash: mr.squash,
      web_url: `${url}/${project.pathWithNamespace}/-/merge_requests/${mr.iid}`,
      author: { id: 1, username: "alice", name: "Alice" },
    };
  }

  function commitJson(commit: FakeGitLabCommit) {
    return {
      id: commit.sha,
      short_id: commit.sha.slice(0, 8),
      title: commit.message ?? "a commit",
      message: commit.message ?? "a commit",
      author_name: "Alice",
      author_email: "alice@example.com",
      authored_date: commit.authoredDate,
      committer_name: "Alice",
      committer_email: "alice@example.com",
      committed_date: commit.committedDate ?? commit.authoredDate,
      created_at: commit.committedDate ?? commit.authoredDate,
      parent_ids: [],
      web_url: `${url}/-/commit/${commit.sha}`,
    };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, record: FakeGitLabRequest) {
    const parsed = new URL(req.url ?? "/", "http://fake");
    // GitLab decodes %2F in the project id; so does this (the route is matched on the decoded path).
    const path = decodeURIComponent(parsed.pathname);
    record.path = path;
    record.query = Object.fromEntries(parsed.searchParams);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    record.body = raw ? (() => { try { return JSON.parse(raw); } catch { return raw; } })() : undefined;
    const params = { ...record.query, ...(record.body && typeof record.body === "object" ? record.body : {}) } as Record<string, any>;

    const privateToken = req.headers["private-token"];
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (privateToken === options.token) record.auth = "private-token";
    else if (bearer === options.token) record.auth = "bearer";
    else return json(res, 401, { message: "401 Unauthorized" });

    const injection = injections.find((i) => i.left > 0 && (!i.method || i.method === req.method) && (typeof i.path === "string" ? i.path === path : i.path.test(path)));
    if (injection) {
      injection.left--;
      return json(res, injection.status, injection.body ?? { message: `${injection.status}` }, injection.headers);
    }

    if (req.method === "GET" && path === "/api/v4/user") return json(res, 200, { id: user.id, username: user.username, name: "Flowgate", state: "active", bot: true });

    const match = /^\/api\/v4\/projects\/(.+?)\/(repository\/commits\/[0-9a-f]+\/statuses|repository\/branches\/.+|statuses\/[0-9a-f]+|merge_requests\/\d+(?:\/notes(?:\/\d+)?|\/commits|\/merge|\/rebase)?)$/.exec(path);
    if (!match) return json(res, 404, { error: "404 Not Found" });
    const project = findProject(match[1]);
    if (!project) return json(res, 404, { message: "404 Project Not Found" });
    const rest = match[2];
    const now = new Date().toISOString();

    const gitDir = options.gitDirs?.[project.pathWithNamespace];
    const git = (...args: string[]) => execFileSync("git", args, { cwd: gitDir, encoding: "utf8" }).trim();
    let m: RegExpExecArray | null;
    if ((m = /^repository\/branches\/(.+)$/.exec(rest)) && req.method === "GET") {
      if (!gitDir) return json(res, 404, { message: "404 Branch Not Found" });
      let sha: string;
      try {
        sha = git("rev-parse", "--verify", "--quiet", `refs/heads/${m[1]}^{commit}`);
      } catch {
        return json(res, 404, { message: "404 Branch Not Found" });
      }
      return json(res, 200, { name: m[1], merged: false, protected: true, default: m[1] === "main", commit: { id: sha, short_id: sha.slice(0, 8), title: "", message: "" } });
    }
    if ((m = /^repository\/commits\/([0-9a-f]+)\/statuses$/.exec(rest)) && req.method === "GET") {
      const sha = m[1];
      let list = project.statuses.filter((s) => s.sha === sha && (!params.name || s.name === params.name));
      // Without all=true GitLab shows the latest status of each name only.
      if (params.all !== "true") list = list.filter((s) => !list.some((t) => t.name === s.name && t.id > s.id));
      return paginate(res, parsed.pathname, record.query, [...list].sort((a, b) => b.id - a.id));
    }
    if ((m = /^statuses\/([0-9a-f]+)$/.exec(rest)) && req.method === "POST") {
      const sha = m[1];
      const state = String(params.state ?? "");
      if (!STATES.has(state)) return json(res, 400, { error: "state does not have a valid value" });
      const name = String(params.name ?? params.context ?? "default");
      const latest = project.statuses.filter((s) => s.sha === sha && s.name === name).sort((a, b) => b.id - a.id)[0];
      if (latest && latest.status === state && (state === "running" || state === "pending")) {
        return json(res, 400, { message: `Cannot transition status via :${state === "running" ? "run" : "enqueue"} from :${state} (Reason(s): Status cannot transition via "${state === "running" ? "run" : "enqueue"}")` });
      }
      const finished = !["pending", "running"].includes(state);
      const status: FakeGitLabStatus = {
        id: nextId++,
        sha,
        ref: params.ref ?? null,
        status: state,
        name,
        target_url: params.target_url ?? null,
        description: params.description == null ? null : String(params.description).slice(0, 255),
        created_at: now,
        started_at: state === "running" || finished ? now : null,
        finished_at: finished ? now : null,
        allow_failure: false,
        coverage: null,
        author: { id: user.id, username: user.username },
        pipeline_id: 77,
      };
      project.statuses.push(status);
      return json(res, 201, status);
    }

    const iid = Number(/^merge_requests\/(\d+)/.exec(rest)?.[1]);
    const mr = project.mergeRequests.get(iid);
    if (!mr) return json(res, 404, { message: "404 Not found" });
    if (rest === `merge_requests/${iid}` && req.method === "GET") {
      const shown: Record<string, unknown> = mergeRequestJson(project, mr);
      // Commits on the target branch that the source branch does not have.
      if (params.include_diverged_commits_count === "true" && gitDir) shown.diverged_commits_count = Number(git("rev-list", "--count", `${mr.sha}..refs/heads/${mr.targetBranch}`));
      return json(res, 200, shown);
    }
    if (rest === `merge_requests/${iid}/rebase` && req.method === "PUT") {
      if (mr.state !== "opened") return json(res, 403, { message: "403 Forbidden" });
      project.rebases.push(iid);
      return json(res, 202, { rebase_in_progress: true });
    }
    if (rest === `merge_requests/${iid}/commits` && req.method === "GET") {
      const newestFirst = [...mr.commits].sort((a, b) => Date.parse(b.committedDate ?? b.authoredDate) - Date.parse(a.committedDate ?? a.authoredDate));
      return paginate(res, parsed.pathname, record.query, newestFirst.map(commitJson));
    }
    if (rest === `merge_requests/${iid}/notes` && req.method === "GET") {
      const notes = [...(project.notes.get(iid) ?? [])];
      if (params.sort === "desc") notes.reverse();
      return paginate(res, parsed.pathname, record.query, notes);
    }
    if (rest === `merge_requests/${iid}/notes` && req.method === "POST") {
      if (typeof params.body !== "string" || !params.body) return json(res, 400, { message: { body: ["can't be blank"] } });
      const note: FakeGitLabNote = { id: nextId++, body: params.body, author: { id: user.id, username: user.username, name: "Flowgate", bot: true }, system: false, created_at: now, updated_at: now, noteable_type: "MergeRequest", noteable_iid: iid };
      project.notes.set(iid, [...(project.notes.get(iid) ?? []), note]);
      return json(res, 201, note);
    }
    if ((m = /^merge_requests\/\d+\/notes\/(\d+)$/.exec(rest)) && req.method === "PUT") {
      const note = (project.notes.get(iid) ?? []).find((n) => n.id === Number(m![1]));
      if (!note) return json(res, 404, { message: "404 Note Not Found" });
      if (note.author.id !== user.id) return json(res, 403, { message: "403 Forbidden" });
      note.body = String(params.body ?? note.body);
      note.updated_at = now;
      return json(res, 200, note);
    }
    if (rest === `merge_requests/${iid}/merge` && req.method === "PUT") {
      if (mr.state !== "opened") return json(res, 405, { message: "405 Method Not Allowed" });
      if (params.sha && params.sha !== mr.sha) return json(res, 409, { message: "SHA does not match HEAD of source branch: " + mr.sha });
      if (mr.conflicts) return json(res, 406, { message: "Branch cannot be merged" });
      if (!mr.mergeable) return json(res, 405, { message: "405 Method Not Allowed" });
      mr.state = "merged";
      mr.mergedAt = now;
      mr.squash = params.squash === true || params.squash === "true";
      mr.mergeCommitSha = "f".repeat(40);
      mr.squashCommitSha = mr.squash ? "e".repeat(40) : null;
      return json(res, 200, mergeRequestJson(project, mr));
    }
    return json(res, 404, { error: "404 Not Found" });
  }

  const server = http.createServer((req, res) => {
    const record: FakeGitLabRequest = { method: req.method ?? "GET", path: req.url ?? "/", query: {}, body: undefined, auth: "refused", status: 0 };
    requests.push(record);
    res.on("finish", () => {
      record.status = res.statusCode;
    });
    handle(req, res, record).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { message: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const api: FakeGitLab = {
    url,
    requests,
    addProject(pathWithNamespace, id) {
      const project: FakeGitLabProject = { id: id ?? nextId++, pathWithNamespace, statuses: [], notes: new Map(), mergeRequests: new Map(), rebases: [] };
      projects.set(pathWithNamespace, project);
      return project;
    },
    project(pathWithNamespace) {
      const project = projects.get(pathWithNamespace);
      if (!project) throw new Error(`no fake project ${pathWithNamespace}`);
      return project;
    },
    addMergeRequest(pathWithNamespace, seed) {
      const project = api.project(pathWithNamespace);
      const mr: FakeGitLabMergeRequest = {
        iid: seed.iid,
        id: nextId++,
        title: seed.title ?? `Merge request ${seed.iid}`,
        state: "opened",
        sha: seed.headSha,
        sourceBranch: seed.sourceBranch ?? "feature",
        targetBranch: seed.targetBranch ?? "main",
        createdAt: seed.createdAt,
        mergedAt: null,
        closedAt: null,
        mergeCommitSha: null,
        squashCommitSha: null,
        squash: false,
        mergeable: seed.mergeable ?? true,
        conflicts: seed.conflicts ?? false,
        commits: seed.commits ?? [],
      };
      project.mergeRequests.set(seed.iid, mr);
      return mr;
    },
    addNote(pathWithNamespace, iid, body, author = { id: 1, username: "alice" }) {
      const project = api.project(pathWithNamespace);
      const now = new Date().toISOString();
      const note: FakeGitLabNote = { id: nextId++, body, author: { ...author, name: author.username }, system: false, created_at: now, updated_at: now, noteable_type: "MergeRequest", noteable_iid: iid };
      project.notes.set(iid, [...(project.notes.get(iid) ?? []), note]);
      return note;
    },
    inject(injection) {
      injections.push({ ...injection, left: injection.times ?? 1 });
    },
    rebases: (pathWithNamespace) => api.project(pathWithNamespace).rebases,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  return api;
}
