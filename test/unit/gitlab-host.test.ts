import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CheckPublication, CodeHost, HostRepository } from "../../lib/code-host/code-host";
import { CodeHostError, CodeHostRateLimited } from "../../lib/code-host/code-host-errors";
import { createGitLabHost, gitLabStatusOf, MAX_STATUS_DESCRIPTION, type GitLabHostConfig } from "../../lib/code-host/gitlab/gitlab-host";
import { STICKY_MARKER } from "../../lib/code-host/publish/sticky-comment";
import { startFakeGitLab, type FakeGitLab } from "../support/fake-gitlab";

// The code host's GitLab implementation through the real gitbeaker client (with Flowgate's bounded
// transport) against a GitLab REST v4 fake (test/support/fake-gitlab.ts).

const TOKEN = "glpat-flowgate-test-token-0123456789";
const PROJECT = "acme/platform/widgets";
const widgets: HostRepository = { host: "gitlab", fullName: PROJECT, installationId: "77" };
const SHA = "a".repeat(40);

let fake: FakeGitLab;
let logged: string[];
let thrown: string[];

function host(overrides: Partial<GitLabHostConfig> = {}): CodeHost {
  return createGitLabHost({
    url: fake.url,
    token: TOKEN,
    log: { warn: (fields, message) => logged.push(JSON.stringify({ ...fields, message })) },
    limits: { rateLimitRetries: 2, maxRateLimitWaitSeconds: 2, serverErrorRetries: 2, serverErrorBaseDelayMs: 5, requestTimeoutMs: 10_000 },
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    thrown.push(String((error as Error).message));
    return error as Error;
  }
  throw new Error("expected a failure");
}

const check = (overrides: Partial<CheckPublication> = {}): CheckPublication => ({
  name: "flowgate/gate",
  headSha: SHA,
  status: "completed",
  conclusion: "success",
  title: "All stages passed",
  summary: "Review, test, staging, validation and deployment passed.",
  detailsUrl: "https://flowgate.example/runs/r1",
  annotations: [],
  ...overrides,
});

beforeEach(async () => {
  fake = await startFakeGitLab({ token: TOKEN });
  fake.addProject(PROJECT, 77);
  logged = [];
  thrown = [];
});

afterEach(async () => {
  await fake.close();
  // No token in any message or log line.
  for (const text of [...thrown, ...logged]) expect(text).not.toContain(TOKEN);
});

describe("GitLab states", () => {
  it("maps every status and conclusion; action_required is pending, never failed", () => {
    expect(gitLabStatusOf(check({ status: "queued", conclusion: undefined })).state).toBe("pending");
    expect(gitLabStatusOf(check({ status: "in_progress", conclusion: undefined })).state).toBe("running");
    expect(gitLabStatusOf(check({ conclusion: "success" })).state).toBe("success");
    expect(gitLabStatusOf(check({ conclusion: "neutral" })).state).toBe("success");
    expect(gitLabStatusOf(check({ conclusion: "failure" })).state).toBe("failed");
    expect(gitLabStatusOf(check({ conclusion: "cancelled" })).state).toBe("canceled");
    expect(gitLabStatusOf(check({ conclusion: "skipped" })).state).toBe("skipped");
    expect(gitLabStatusOf(check({ conclusion: "action_required", title: "Security review" }))).toEqual({ state: "pending", description: "Waiting for a person: Security review" });
    expect(() => gitLabStatusOf(check({ conclusion: undefined }))).toThrow(CodeHostError);
    expect(gitLabStatusOf(check({ title: "x".repeat(400) })).description).toHaveLength(MAX_STATUS_DESCRIPTION);
  });
});

describe("publishCheck", () => {
  it("posts a commit status by URL-encoded project path with the token as PRIVATE-TOKEN", async () => {
    const result = await host().publishCheck(widgets, check({ annotations: [{ path: "a.ts", startLine: 1, endLine: 1, level: "warning", message: "m" }] }));
    const posted = fake.requests.find((r) => r.method === "POST");
    expect(posted).toMatchObject({ path: `/api/v4/projects/${PROJECT}/statuses/${SHA}`, auth: "private-token", status: 201 });
    expect(posted?.body).toEqual({ state: "success", name: "flowgate/gate", description: "All stages passed", target_url: "https://flowgate.example/runs/r1" });
    const [status] = fake.project(PROJECT).statuses;
    expect(result.id).toBe(String(status.id));
  });

  it("moves pending → running → success, and the same state again sends nothing", async () => {
    const gitlab = host();
    await gitlab.publishCheck(widgets, check({ status: "queued", conclusion: undefined, title: "Waiting" }));
    await gitlab.publishCheck(widgets, check({ status: "in_progress", conclusion: undefined, title: "Reviewing" }));
    const again = await gitlab.publishCheck(widgets, check({ status: "in_progress", conclusion: undefined, title: "Reviewing" }));
    const done = await gitlab.publishCheck(widgets, check());
    const statuses = fake.project(PROJECT).statuses;
    expect(statuses.map((s) => s.status)).toEqual(["pending", "running", "success"]);
    expect(again.id).toBe(String(statuses[1].id));
    expect(done.id).toBe(String(statuses[2].id));
    expect(fake.requests.filter((r) => r.method === "POST")).toHaveLength(3);
  });

  it("turns GitLab's refusals into CodeHostError with GitLab's words", async () => {
    fake.inject({ method: "POST", path: /\/statuses\//, status: 403, body: { message: "403 Forbidden" } });
    const error = await failure(host().publishCheck(widgets, check()));
    expect(error).toBeInstanceOf(CodeHostError);
    expect(error.message).toMatch(/Publishing status flowgate\/gate on acme\/platform\/widgets@aaaaaaaaaaaa: GitLab answered 403 \(403 Forbidden\)/);
    expect((error as CodeHostError).httpStatus).toBe(403);
  });

  it("refuses what is not a GitLab project path", async () => {
    await expect(host().publishCheck({ ...widgets, fullName: "../etc" }, check())).rejects.toThrow(/Not a GitLab project/);
    await expect(host().publishCheck({ ...widgets, host: "github" }, check())).rejects.toThrow(/Not a GitLab project/);
  });
});

describe("rate limits and server errors", () => {
  it("waits as GitLab's Retry-After says, within the bound, then succeeds", async () => {
    fake.inject({ method: "POST", path: /\/statuses\//, status: 429, headers: { "retry-after": "1" }, body: { message: "Retry later" } });
    const started = Date.now();
    await host().publishCheck(widgets, check());
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.requests.filter((r) => r.method === "POST").map((r) => r.status)).toEqual([429, 201]);
    expect(logged.join("\n")).toMatch(/GitLab rate limit: waiting/);
  });

  it("gives up as CodeHostRateLimited when the wait is longer than allowed, without retrying", async () => {
    fake.inject({ method: "POST", path: /\/statuses\//, status: 429, headers: { "retry-after": "3600" }, body: { message: "Retry later" } });
    const error = await failure(host().publishCheck(widgets, check()));
    expect(error).toBeInstanceOf(CodeHostRateLimited);
    expect((error as CodeHostRateLimited).retryAfterSeconds).toBe(3600);
    expect(fake.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("gives up after the bounded retries of a repeated 429", async () => {
    fake.inject({ method: "POST", path: /\/statuses\//, status: 429, times: 10, headers: { "retry-after": "0" }, body: { message: "Retry later" } });
    const error = await failure(host().publishCheck(widgets, check()));
    expect(error).toBeInstanceOf(CodeHostRateLimited);
    expect(fake.requests.filter((r) => r.method === "POST")).toHaveLength(3);
  });

  it("retries a 502 and a 503 with backoff", async () => {
    fake.inject({ method: "POST", path: /\/statuses\//, status: 502 });
    fake.inject({ method: "POST", path: /\/statuses\//, status: 503 });
    await host().publishCheck(widgets, check());
    expect(fake.requests.filter((r) => r.method === "POST").map((r) => r.status)).toEqual([502, 503, 201]);
  });

  it("refuses a wrong token with 401, as CodeHostError", async () => {
    const error = await failure(host({ token: "glpat-wrong-token-0000000000" }).publishCheck(widgets, check()));
    expect(error).toBeInstanceOf(CodeHostError);
    expect((error as CodeHostError).httpStatus).toBe(401);
  });
});

describe("upsertStickyComment", () => {
  beforeEach(() => {
    fake.addMergeRequest(PROJECT, { iid: 7, headSha: SHA, createdAt: "2026-01-01T10:00:00Z" });
  });

  it("creates the note once, then edits it in place; a person's note quoting the marker is not ours", async () => {
    fake.addNote(PROJECT, 7, `quoting ${STICKY_MARKER} here`);
    const gitlab = host();
    const first = await gitlab.upsertStickyComment(widgets, 7, "Review passed");
    const second = await gitlab.upsertStickyComment(widgets, 7, "Test passed");
    expect(second.id).toBe(first.id);
    const notes = fake.project(PROJECT).notes.get(7)!;
    expect(notes).toHaveLength(2);
    expect(notes[1].body).toBe(`${STICKY_MARKER}\nTest passed`);
    expect(notes[0].body).toBe(`quoting ${STICKY_MARKER} here`);
  });

  it("finds its note beyond the first page (Link / x-next-page pagination)", async () => {
    for (let i = 0; i < 150; i++) fake.addNote(PROJECT, 7, `comment ${i}`);
    const gitlab = host();
    const first = await gitlab.upsertStickyComment(widgets, 7, "one");
    const second = await gitlab.upsertStickyComment(widgets, 7, "two");
    expect(second.id).toBe(first.id);
    expect(fake.project(PROJECT).notes.get(7)).toHaveLength(151);
    expect(fake.requests.some((r) => r.path.endsWith("/notes") && r.query.page === "2")).toBe(true);
  });

  it("writes nothing when the body is unchanged; concurrent upserts make one note", async () => {
    const gitlab = host();
    await Promise.all([gitlab.upsertStickyComment(widgets, 7, "same"), gitlab.upsertStickyComment(widgets, 7, "same")]);
    expect(fake.project(PROJECT).notes.get(7)).toHaveLength(1);
    expect(fake.requests.filter((r) => r.method === "PUT")).toHaveLength(0);
  });
});

describe("mergePullRequest", () => {
  it("merges at the sha, squashing when asked", async () => {
    fake.addMergeRequest(PROJECT, { iid: 3, headSha: SHA, createdAt: "2026-01-01T10:00:00Z" });
    const result = await host().mergePullRequest(widgets, 3, { sha: SHA, method: "squash" });
    expect(result).toEqual({ merged: true, sha: "f".repeat(40) });
    const merge = fake.requests.find((r) => r.method === "PUT" && r.path.endsWith("/merge"));
    expect(merge?.body).toEqual({ sha: SHA, squash: true });
  });

  it("answers merged:false with GitLab's reason on 409 (head moved), 406 (conflicts) and 405 (not mergeable)", async () => {
    fake.addMergeRequest(PROJECT, { iid: 4, headSha: "b".repeat(40), createdAt: "2026-01-01T10:00:00Z" });
    fake.addMergeRequest(PROJECT, { iid: 5, headSha: SHA, createdAt: "2026-01-01T10:00:00Z", conflicts: true });
    fake.addMergeRequest(PROJECT, { iid: 6, headSha: SHA, createdAt: "2026-01-01T10:00:00Z", mergeable: false });
    const gitlab = host();
    expect(await gitlab.mergePullRequest(widgets, 4, { sha: SHA, method: "merge" })).toEqual({ merged: false, reason: expect.stringMatching(/SHA does not match HEAD/) });
    expect(await gitlab.mergePullRequest(widgets, 5, { sha: SHA, method: "merge" })).toEqual({ merged: false, reason: "Branch cannot be merged" });
    expect(await gitlab.mergePullRequest(widgets, 6, { sha: SHA, method: "merge" })).toEqual({ merged: false, reason: "405 Method Not Allowed" });
  });

  it("throws other failures as CodeHostError", async () => {
    const error = await failure(host().mergePullRequest(widgets, 99, { sha: SHA, method: "merge" }));
    expect(error).toBeInstanceOf(CodeHostError);
    expect((error as CodeHostError).httpStatus).toBe(404);
  });
});

describe("pullRequestTimes", () => {
  it("reads created/merged/closed and the earliest commit over every page", async () => {
    const commits = Array.from({ length: 130 }, (_, i) => ({ sha: i.toString(16).padStart(40, "0"), authoredDate: new Date(Date.UTC(2025, 11, 1) + i * 60_000).toISOString() }));
    fake.addMergeRequest(PROJECT, { iid: 8, headSha: SHA, createdAt: "2026-01-02T10:00:00.000Z", commits });
    const times = await host().pullRequestTimes(widgets, 8);
    expect(times).toEqual({ openedAt: new Date("2026-01-02T10:00:00.000Z"), firstCommitAt: new Date(Date.UTC(2025, 11, 1)), mergedAt: null, closedAt: null });
  });
});

describe("fetchCredentials", () => {
  it("gives the project's git URL and a Basic header for oauth2:<token>", async () => {
    const credentials = await host().fetchCredentials(widgets);
    expect(credentials.url).toBe(`${fake.url}/${PROJECT}.git`);
    expect(credentials.extraHeader).toBe(`Authorization: Basic ${Buffer.from(`oauth2:${TOKEN}`).toString("base64")}`);
    expect(credentials.secret).toBe(TOKEN);
  });
});

describe("codeHostResolver", () => {
  it("resolves a gitlab repository when GITLAB_TOKEN is set, and nothing without it", async () => {
    const { codeHostResolver } = await import("../../lib/code-host/hosts");
    const base = { GITHUB_APP_ID: undefined, GITHUB_APP_PRIVATE_KEY: undefined, FLOWGATE_GITHUB_API_URL: "https://api.github.com" };
    const repository = { kind: "gitlab", location: PROJECT, hostInstallationId: "77" };
    const resolved = codeHostResolver({ ...base, GITLAB_URL: fake.url, GITLAB_TOKEN: TOKEN })(repository);
    expect(resolved?.host.kind).toBe("gitlab");
    expect(resolved?.repository).toEqual(widgets);
    expect(codeHostResolver({ ...base, GITLAB_URL: fake.url, GITLAB_TOKEN: undefined })(repository)).toBeNull();
    expect(codeHostResolver({ ...base, GITLAB_URL: fake.url, GITLAB_TOKEN: TOKEN })({ ...repository, kind: "github" })).toBeNull();
  });
});
