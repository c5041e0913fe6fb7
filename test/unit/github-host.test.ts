import { generateKeyPairSync } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CheckAnnotation, CheckPublication, CodeHost, HostRepository } from "../../lib/code-host/code-host";
import { CodeHostError, CodeHostLimitReached, CodeHostRateLimited } from "../../lib/code-host/code-host-errors";
import { createGitHubAppAuth } from "../../lib/code-host/github/app-auth";
import { createGitHubHost, gitBaseUrlFor, type GitHubHostConfig } from "../../lib/code-host/github/github-host";
import { STICKY_MARKER } from "../../lib/code-host/publish/sticky-comment";
import type { GitHubLog } from "../../lib/code-host/github/octokit";
import { startFakeGitHubApi, type FakeGitHubApi } from "../support/fake-github";

// The code host's GitHub implementation through the real Octokit (REST, throttling, retry) against a
// GitHub REST fake that verifies the App's JWT and the installation tokens (test/support/fake-github.ts).

const APP_ID = 123456;
const INSTALLATION = "4242";
// PKCS#1, as GitHub hands out App keys.
const keys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } });
const otherKeys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
const widgets: HostRepository = { host: "github", fullName: "acme/widgets", installationId: INSTALLATION };
const MAX_WAIT_SECONDS = 3;

let fake: FakeGitHubApi;
let logged: string[];
let thrown: string[];

const log: GitHubLog = {
  debug: (fields, message) => logged.push(JSON.stringify({ level: "debug", ...fields, message })),
  warn: (fields, message) => logged.push(JSON.stringify({ level: "warn", ...fields, message })),
};

function host(overrides: Partial<GitHubHostConfig> = {}): CodeHost {
  return createGitHubHost({
    appId: APP_ID,
    privateKey: keys.privateKey,
    baseUrl: fake.url,
    now: fake.clock.now,
    log,
    limits: { rateLimitRetries: 2, maxRateLimitWaitSeconds: MAX_WAIT_SECONDS, serverErrorRetries: 2, serverErrorBaseDelayMs: 5, requestTimeoutMs: 10_000 },
    ...overrides,
  });
}

/** Awaits a rejection and keeps its message for the no-secrets check. */
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
  headSha: "a".repeat(40),
  status: "completed",
  conclusion: "success",
  title: "All stages passed",
  summary: "Review, test, staging, validation and deployment passed.",
  detailsUrl: "https://flowgate.test/runs/r1",
  annotations: [],
  ...overrides,
});

const annotations = (count: number): CheckAnnotation[] =>
  Array.from({ length: count }, (_, i) => ({ path: `src/file-${i}.ts`, startLine: i + 1, endLine: i + 1, level: "warning", title: `Finding ${i}`, message: `Message ${i}` }));

const mints = () => fake.requests.filter((r) => r.method === "POST" && r.path === `/app/installations/${INSTALLATION}/access_tokens`);
const calls = (method: string, pattern: RegExp) => fake.requests.filter((r) => r.method === method && pattern.test(r.path));
const rateLimitWaits = () =>
  logged
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.message === "GitHub rate limit: waiting, then retrying")
    .map((entry) => entry.retryAfterSeconds as number);

beforeEach(async () => {
  logged = [];
  thrown = [];
  fake = await startFakeGitHubApi({ appId: APP_ID, publicKey: keys.publicKey, installations: { [INSTALLATION]: ["acme/widgets", "acme/other"] } });
  fake.addPullRequest("acme/widgets", {
    number: 7,
    headSha: "b".repeat(40),
    createdAt: "2026-11-02T09:00:00Z",
    commits: [
      { sha: "c1".repeat(20), authorDate: "2026-11-01T15:30:00Z", committerDate: "2026-11-01T16:00:00Z" },
      { sha: "c2".repeat(20), authorDate: "2026-10-30T08:00:00Z", committerDate: "2026-11-02T08:00:00Z" },
    ],
  });
  fake.addPullRequest("acme/widgets", { number: 8, headSha: "d".repeat(40), createdAt: "2026-11-03T10:00:00Z", mergeable: false });
});

afterEach(async () => {
  // Nothing logged or thrown carries a token, the App's JWT or the private key.
  const secrets = [...fake.tokens.map((t) => t.token), ...fake.requests.flatMap((r) => (r.token ? [r.token] : []))];
  const keyBody = keys.privateKey.split("\n").filter((line) => line && !line.startsWith("-----"));
  const text = [...logged, ...thrown].join("\n");
  for (const secret of secrets) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(Buffer.from(`x-access-token:${secret}`).toString("base64"));
  }
  for (const line of keyBody) expect(text).not.toContain(line);
  await fake.close();
});

describe("App authentication", () => {
  it("mints an installation token with the App's JWT and uses it on repository endpoints", async () => {
    const { id } = await host().publishCheck(widgets, check());
    expect(mints()).toHaveLength(1);
    expect(mints()[0]).toMatchObject({ auth: "app", status: 201 });
    const repoCalls = fake.requests.filter((r) => r.path.startsWith("/repos/"));
    expect(repoCalls.length).toBeGreaterThan(0);
    expect(repoCalls.every((r) => r.auth === "installation" && r.token === fake.tokens[0].token)).toBe(true);
    expect(fake.checkRuns("acme/widgets")).toMatchObject([{ id: Number(id), name: "flowgate/gate", status: "completed", conclusion: "success" }]);
  });

  it("gives a JWT that verifies and expires within ten minutes", async () => {
    const auth = createGitHubAppAuth({ appId: APP_ID, privateKey: keys.privateKey, baseUrl: fake.url }, { log });
    const jwt = await auth.appJwt();
    const payload = JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
    expect(String(payload.iss)).toBe(String(APP_ID));
    expect(payload.exp - payload.iat).toBeLessThanOrEqual(600);
  });

  it("surfaces GitHub's 401 when the JWT is signed with another key, and never reaches a repository", async () => {
    const error = await failure(host({ privateKey: otherKeys.privateKey }).publishCheck(widgets, check()));
    expect(error).toBeInstanceOf(CodeHostError);
    expect((error as CodeHostError).httpStatus).toBe(401);
    expect(error.message).toMatch(/installation token.*401.*JSON web token/);
    expect(mints()).toMatchObject([{ auth: "refused", status: 401 }]);
    expect(fake.requests.some((r) => r.path.startsWith("/repos/"))).toBe(false);
  });

  it("refuses a private key that is not a PEM RSA key without echoing it", () => {
    const garbage = "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END RSA PRIVATE KEY-----";
    let message = "";
    try {
      host({ privateKey: garbage });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe("The GitHub App private key is not a PEM RSA private key");
    expect(message).not.toContain("bm90IGEga2V5");
  });

  it("accepts the key with escaped newlines, as configuration often holds it", async () => {
    await host({ privateKey: keys.privateKey.replace(/\n/g, "\\n") }).publishCheck(widgets, check());
    expect(mints()[0].status).toBe(201);
  });

  it("reuses the token while more than five minutes remain, then mints a new one (fake clock)", async () => {
    const github = host();
    await github.pullRequestTimes(widgets, 7);
    fake.clock.advance(30 * 60_000);
    await github.pullRequestTimes(widgets, 7);
    expect(mints()).toHaveLength(1);
    fake.clock.advance(26 * 60_000); // 56 minutes: 4 left, inside the margin
    await github.pullRequestTimes(widgets, 7);
    expect(mints()).toHaveLength(2);
    const [first, second] = fake.tokens;
    expect(second.expiresAt.getTime()).toBeGreaterThan(first.expiresAt.getTime());
    fake.clock.advance(61 * 60_000); // both expired: the fake would answer 401 to either
    await github.pullRequestTimes(widgets, 7);
    expect(mints()).toHaveLength(3);
    expect(fake.requests.filter((r) => r.path.startsWith("/repos/")).every((r) => r.status === 200)).toBe(true);
  });

  it("mints a token once for concurrent calls", async () => {
    const github = host();
    await Promise.all([github.pullRequestTimes(widgets, 7), github.pullRequestTimes(widgets, 7), github.pullRequestTimes(widgets, 7)]);
    expect(mints()).toHaveLength(1);
  });

  it("drops a token GitHub refuses before its expiry and retries once with a new one", async () => {
    const github = host();
    await github.pullRequestTimes(widgets, 7);
    fake.revokeTokens();
    const times = await github.pullRequestTimes(widgets, 7);
    expect(times.openedAt.toISOString()).toBe("2026-11-02T09:00:00.000Z");
    expect(mints()).toHaveLength(2);
    expect(fake.requests.filter((r) => r.status === 401)).toHaveLength(1);
  });
});

describe("checks", () => {
  it("sends 120 annotations as 50 + 50 + 20, in order, on one check run", async () => {
    const { id } = await host().publishCheck(widgets, check({ conclusion: "neutral", annotations: annotations(120) }));
    const writes = fake.requests.filter((r) => r.path.includes("/check-runs") && r.method !== "GET");
    expect(writes.map((r) => r.method)).toEqual(["POST", "PATCH", "PATCH"]);
    expect(writes.map((r) => r.body.output.annotations.length)).toEqual([50, 50, 20]);
    expect(writes.every((r) => r.status < 300 && r.body.output.title && r.body.output.summary)).toBe(true);
    const [run] = fake.checkRuns("acme/widgets");
    expect(run.id).toBe(Number(id));
    expect(run.output.annotations_count).toBe(120);
    expect(run.annotations.map((a: any) => a.path)).toEqual(annotations(120).map((a) => a.path));
    expect(run.annotations[0]).toEqual({ path: "src/file-0.ts", start_line: 1, end_line: 1, annotation_level: "warning", title: "Finding 0", message: "Message 0" });
  });

  it("finds the check by name and head and updates it in place", async () => {
    const github = host();
    const first = await github.publishCheck(widgets, check({ status: "in_progress", conclusion: undefined, title: "Running" }));
    const second = await github.publishCheck(widgets, check());
    expect(second.id).toBe(first.id);
    const listed = calls("GET", /\/commits\/a+\/check-runs$/);
    expect(listed[0].query).toMatchObject({ check_name: "flowgate/gate", app_id: String(APP_ID) });
    expect(calls("POST", /\/check-runs$/)).toHaveLength(1);
    expect(calls("PATCH", /\/check-runs\/\d+$/)).toHaveLength(1);
    expect(fake.checkRuns("acme/widgets")).toMatchObject([{ status: "completed", conclusion: "success", output: { title: "All stages passed" }, details_url: "https://flowgate.test/runs/r1" }]);
  });

  it("starts a new run rather than appending annotations to a run that already has some", async () => {
    const github = host();
    const first = await github.publishCheck(widgets, check({ conclusion: "neutral", annotations: annotations(3) }));
    const second = await github.publishCheck(widgets, check({ conclusion: "neutral", annotations: annotations(2) }));
    expect(second.id).not.toBe(first.id);
    const runs = fake.checkRuns("acme/widgets");
    expect(runs.map((run) => run.annotations.length)).toEqual([3, 2]);
  });

  it("refuses a completed check without a conclusion before calling GitHub", async () => {
    const error = await failure(host().publishCheck(widgets, check({ conclusion: undefined })));
    expect(error).toBeInstanceOf(CodeHostError);
    expect(fake.requests).toHaveLength(0);
  });

  it("maps GitHub's 422 for a full commit to CodeHostLimitReached, without retrying", async () => {
    fake.inject({
      method: "POST",
      path: "/repos/acme/widgets/check-runs",
      status: 422,
      body: { message: "Validation Failed", errors: [{ resource: "Status", code: "custom", field: "context", message: "This SHA and context has reached the maximum number of statuses." }], documentation_url: "https://docs.github.com/rest/commits/statuses#create-a-commit-status", status: "422" },
    });
    const error = await failure(host().publishCheck(widgets, check()));
    expect(error).toBeInstanceOf(CodeHostLimitReached);
    expect((error as CodeHostError).httpStatus).toBe(422);
    expect(calls("POST", /\/check-runs$/)).toHaveLength(1);
  });

  it("keeps an ordinary 422 an ordinary CodeHostError", async () => {
    fake.inject({ method: "POST", path: "/repos/acme/widgets/check-runs", status: 422, body: { message: "Invalid request.\n\n\"head_sha\" wasn't supplied.", status: "422" } });
    const error = await failure(host().publishCheck(widgets, check()));
    expect(error).toBeInstanceOf(CodeHostError);
    expect(error).not.toBeInstanceOf(CodeHostLimitReached);
  });
});

describe("sticky comment", () => {
  it("is created once and then edited in place, found across pages; a person quoting the marker is left alone", async () => {
    fake.addComment("acme/widgets", 7, { body: `I saw ${STICKY_MARKER} in the source`, user: { login: "mallory" } });
    for (let i = 0; i < 129; i++) fake.addComment("acme/widgets", 7, { body: `comment ${i}`, user: { login: "octocat" } });
    const github = host();
    const created = await github.upsertStickyComment(widgets, 7, "Flowgate: review passed");
    expect(calls("POST", /\/issues\/7\/comments$/)).toHaveLength(1);
    for (let i = 0; i < 80; i++) fake.addComment("acme/widgets", 7, { body: `later ${i}`, user: { login: "octocat" } });

    const updated = await github.upsertStickyComment(widgets, 7, "Flowgate: test failed");
    expect(updated.id).toBe(created.id);
    expect(calls("POST", /\/issues\/7\/comments$/)).toHaveLength(1);
    expect(calls("PATCH", /\/issues\/comments\/\d+$/)).toHaveLength(1);
    // Ours is the 131st of 211: the second page, reached through the Link header.
    const listing = calls("GET", /\/issues\/7\/comments$/);
    expect(listing.some((r) => r.path.startsWith("/repositories/") && r.query.page === "2")).toBe(true);

    const ours = fake.comments("acme/widgets", 7).filter((c) => c.body.includes(STICKY_MARKER) && c.user.type === "Bot");
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ id: Number(created.id), body: `${STICKY_MARKER}\nFlowgate: test failed`, performed_via_github_app: { id: APP_ID } });
    expect(fake.comments("acme/widgets", 7)[0].body).toBe(`I saw ${STICKY_MARKER} in the source`);

    const writesBefore = fake.requests.filter((r) => r.method !== "GET").length;
    await github.upsertStickyComment(widgets, 7, "Flowgate: test failed");
    expect(fake.requests.filter((r) => r.method !== "GET").length).toBe(writesBefore);
  });

  it("creates one comment when two publishes race", async () => {
    const github = host();
    await Promise.all([github.upsertStickyComment(widgets, 7, "first"), github.upsertStickyComment(widgets, 7, "second")]);
    expect(fake.comments("acme/widgets", 7)).toHaveLength(1);
    expect(fake.comments("acme/widgets", 7)[0].body).toBe(`${STICKY_MARKER}\nsecond`);
  });
});

describe("merging", () => {
  it("merges at the given head and reports the merge commit", async () => {
    const result = await host().mergePullRequest(widgets, 7, { sha: "b".repeat(40), method: "squash" });
    expect(result.merged).toBe(true);
    expect(result.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(calls("PUT", /\/pulls\/7\/merge$/)[0].body).toEqual({ sha: "b".repeat(40), merge_method: "squash" });
    expect(fake.pull("acme/widgets", 7)).toMatchObject({ state: "closed", merged: true, merge_commit_sha: result.sha });
  });

  it("answers merged: false with GitHub's reason on 405 and 409, without retrying", async () => {
    const github = host();
    expect(await github.mergePullRequest(widgets, 8, { sha: "d".repeat(40), method: "merge" })).toEqual({ merged: false, reason: "Pull Request is not mergeable" });
    expect(await github.mergePullRequest(widgets, 7, { sha: "e".repeat(40), method: "merge" })).toEqual({ merged: false, reason: "Head branch was modified. Review and try the merge again." });
    expect(calls("PUT", /\/merge$/).map((r) => r.status)).toEqual([405, 409]);
  });
});

describe("pull request times", () => {
  it("reads opened, first commit, merged and closed from GitHub", async () => {
    const github = host();
    expect(await github.pullRequestTimes(widgets, 7)).toEqual({
      openedAt: new Date("2026-11-02T09:00:00Z"),
      firstCommitAt: new Date("2026-10-30T08:00:00Z"),
      mergedAt: null,
      closedAt: null,
    });
    fake.clock.set(Date.parse("2026-11-04T12:00:00Z"));
    await github.mergePullRequest(widgets, 7, { sha: "b".repeat(40), method: "merge" });
    const times = await github.pullRequestTimes(widgets, 7);
    expect(times.mergedAt).toEqual(new Date("2026-11-04T12:00:00Z"));
    expect(times.closedAt).toEqual(new Date("2026-11-04T12:00:00Z"));
    expect((await github.pullRequestTimes(widgets, 8)).firstCommitAt).toBeNull();
  });
});

describe("fetch credentials", () => {
  it("gives a token-free URL and a Basic header with a read-only token for that one repository", async () => {
    const credentials = await host().fetchCredentials(widgets);
    expect(credentials.url).toBe(`${fake.url}/acme/widgets.git`);
    expect(credentials.url).not.toContain(credentials.secret);
    const [scheme, encoded] = credentials.extraHeader.replace(/^Authorization: /, "").split(" ");
    expect(scheme).toBe("Basic");
    expect(Buffer.from(encoded, "base64").toString()).toBe(`x-access-token:${credentials.secret}`);
    expect(fake.tokens).toHaveLength(1);
    expect(fake.tokens[0]).toMatchObject({ token: credentials.secret, repositories: ["widgets"], permissions: { contents: "read" } });
    // The fake enforces the scope: another repository is invisible, and the token cannot write.
    const other = await fetch(`${fake.url}/repos/acme/other/pulls/1`, { headers: { authorization: `token ${credentials.secret}` } });
    expect(other.status).toBe(404);
    const write = await fetch(`${fake.url}/repos/acme/widgets/check-runs`, { method: "POST", headers: { authorization: `token ${credentials.secret}` }, body: JSON.stringify({ name: "x", head_sha: "a".repeat(40) }) });
    expect(write.status).toBe(403);
  });

  it("derives the git origin from the API root", () => {
    expect(gitBaseUrlFor("https://api.github.com")).toBe("https://github.com");
    expect(gitBaseUrlFor("https://ghe.example.com/api/v3")).toBe("https://ghe.example.com");
    expect(gitBaseUrlFor("https://api.acme.ghe.com")).toBe("https://acme.ghe.com");
    expect(gitBaseUrlFor("http://127.0.0.1:4000")).toBe("http://127.0.0.1:4000");
  });
});

describe("rate limits and server errors", () => {
  const secondaryLimit = { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits", status: "403" };

  it("honours retry-after and succeeds within the bounded retries", async () => {
    fake.inject({ method: "GET", path: "/repos/acme/widgets/pulls/7", status: 403, headers: { "retry-after": "1" }, body: secondaryLimit, times: 2 });
    const times = await host().pullRequestTimes(widgets, 7);
    expect(times.openedAt).toEqual(new Date("2026-11-02T09:00:00Z"));
    expect(calls("GET", /\/pulls\/7$/).map((r) => r.status)).toEqual([403, 403, 200]);
    expect(rateLimitWaits()).toEqual([1, 1]);
  });

  it("gives up after two retries with CodeHostRateLimited, having waited no longer than the cap", async () => {
    fake.inject({ method: "POST", path: "/repos/acme/widgets/check-runs", status: 403, headers: { "retry-after": "1" }, body: secondaryLimit, times: 10 });
    const error = await failure(host().publishCheck(widgets, check({ conclusion: "failure" })));
    expect(error).toBeInstanceOf(CodeHostRateLimited);
    expect((error as CodeHostRateLimited).retryAfterSeconds).toBe(1);
    expect(calls("POST", /\/check-runs$/)).toHaveLength(3);
    const waits = rateLimitWaits();
    expect(waits).toHaveLength(2);
    expect(waits.reduce((sum, wait) => sum + wait, 0)).toBeLessThanOrEqual(MAX_WAIT_SECONDS);
    // Nothing was posted: no failing check reached GitHub.
    expect(fake.checkRuns("acme/widgets")).toHaveLength(0);
  });

  it("does not wait when GitHub asks for longer than the cap", async () => {
    fake.inject({ method: "GET", path: "/repos/acme/widgets/pulls/7", status: 429, headers: { "retry-after": "120" }, body: secondaryLimit });
    const error = await failure(host().pullRequestTimes(widgets, 7));
    expect(error).toBeInstanceOf(CodeHostRateLimited);
    expect((error as CodeHostRateLimited).retryAfterSeconds).toBe(120);
    expect(calls("GET", /\/pulls\/7$/)).toHaveLength(1);
    expect(rateLimitWaits()).toEqual([]);
  });

  it("waits for x-ratelimit-reset when it is near, and gives up when it is far", async () => {
    const primary = { message: "API rate limit exceeded for installation ID 4242.", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api", status: "403" };
    const nowSeconds = Math.floor(Date.now() / 1000);
    fake.inject({ method: "GET", path: "/repos/acme/widgets/pulls/7", status: 403, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(nowSeconds + 1) }, body: primary });
    const github = host();
    await github.pullRequestTimes(widgets, 7);
    expect(calls("GET", /\/pulls\/7$/).map((r) => r.status)).toEqual([403, 200]);
    expect(rateLimitWaits()).toHaveLength(1);
    expect(rateLimitWaits()[0]).toBeLessThanOrEqual(MAX_WAIT_SECONDS);

    fake.inject({ method: "GET", path: "/repos/acme/widgets/pulls/7", status: 403, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(nowSeconds + 3600) }, body: primary });
    const error = await failure(github.pullRequestTimes(widgets, 7));
    expect(error).toBeInstanceOf(CodeHostRateLimited);
    expect((error as CodeHostRateLimited).retryAfterSeconds).toBeGreaterThan(3000);
    expect(calls("GET", /\/pulls\/7$/)).toHaveLength(3);
  });

  it("keeps a permission 403 apart from a rate limit", async () => {
    fake.inject({ method: "GET", path: "/repos/acme/widgets/pulls/7", status: 403, body: { message: "Resource not accessible by integration", status: "403" } });
    const error = await failure(host().pullRequestTimes(widgets, 7));
    expect(error).toBeInstanceOf(CodeHostError);
    expect(error).not.toBeInstanceOf(CodeHostRateLimited);
    expect(calls("GET", /\/pulls\/7$/)).toHaveLength(1);
  });

  it("retries a transient 5xx, boundedly", async () => {
    fake.inject({ method: "GET", path: "/repos/acme/widgets/pulls/7", status: 502, times: 2 });
    await host().pullRequestTimes(widgets, 7);
    expect(calls("GET", /\/pulls\/7$/).map((r) => r.status)).toEqual([502, 502, 200]);

    fake.inject({ method: "GET", path: "/repos/acme/widgets/pulls/7", status: 500, times: 10 });
    const error = await failure(host().pullRequestTimes(widgets, 7));
    expect(error).toBeInstanceOf(CodeHostError);
    expect((error as CodeHostError).httpStatus).toBe(500);
    expect(calls("GET", /\/pulls\/7$/)).toHaveLength(3 + 3);
  });
});
