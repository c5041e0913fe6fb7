/**
 * The repository cache against a real smart-HTTP git server (git http-backend behind node:http,
 * test/support/git-http-server.ts): needs Node and git, no database.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRepositorySources } from "@/agents/review/repository-sources";
import { createWorkspace } from "@/agents/test/workspace";
import type { FetchCredentials, HostRepository } from "@/lib/code-host/code-host";
import { credentialForms, redactCredentials } from "@/lib/code-host/git/redact-credentials";
import {
  diffOf,
  fetchEnvironment,
  fetchPullRequest,
  openRepositoryCache,
  pullRequestRef,
  repositoryCacheFor,
  RepositoryFetchError,
  RepositoryNameError,
  withRepositoryLock,
} from "@/lib/code-host/git/repository-cache";
import { parseUnifiedDiff } from "@/lib/diff/unified-diff";
import { basicAuthorization, startGitHttpServer, startSilentServer, type GitHttpRequest, type GitHttpServer } from "../support/git-http-server";

const token = () => `ghs_${randomBytes(18).toString("hex")}`;
const credentialsFor = (url: string, secret: string): FetchCredentials => ({ url, extraHeader: `Authorization: ${basicAuthorization(secret)}`, secret });
const github = (fullName: string): HostRepository => ({ host: "github", fullName, installationId: "1" });

interface Upstream {
  fullName: string;
  work: string;
  baseSha: string;
  headSha: string;
  /** `git diff main...feature` on the upstream's own repository. */
  diff: string;
}

function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8", env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } }).trim();
}

/**
 * A repository on the test server: main, a pull-request branch that edits, adds and renames, and
 * a later commit on main (so only a merge-base diff leaves it out). Published as refs/heads/main
 * and the given pull-request refs.
 */
function createUpstream(projectRoot: string, scratch: string, fullName: string, headRefs: string[]): Upstream {
  const work = path.join(scratch, "work", fullName);
  fs.mkdirSync(work, { recursive: true });
  gitIn(work, "init", "-q");
  fs.writeFileSync(path.join(work, "a.txt"), "one\ntwo\nthree\n");
  fs.writeFileSync(path.join(work, "b.txt"), "a file that will move\n".repeat(20));
  gitIn(work, "add", ".");
  gitIn(work, "commit", "-q", "-m", "base");
  gitIn(work, "checkout", "-q", "-b", "feature");
  fs.writeFileSync(path.join(work, "a.txt"), "one\n2\nthree\n");
  fs.writeFileSync(path.join(work, "c.txt"), "new\n");
  gitIn(work, "mv", "b.txt", "d.txt");
  gitIn(work, "add", ".");
  gitIn(work, "commit", "-q", "-m", "the change");
  gitIn(work, "checkout", "-q", "main");
  fs.writeFileSync(path.join(work, "e.txt"), "landed on main meanwhile\n");
  gitIn(work, "add", ".");
  gitIn(work, "commit", "-q", "-m", "meanwhile");
  const bare = path.join(projectRoot, `${fullName}.git`);
  fs.mkdirSync(path.dirname(bare), { recursive: true });
  gitIn(scratch, "init", "-q", "--bare", bare);
  gitIn(work, "push", "-q", bare, "main:refs/heads/main", ...headRefs.map((ref) => `feature:${ref}`));
  return {
    fullName,
    work,
    baseSha: gitIn(work, "rev-parse", "main"),
    headSha: gitIn(work, "rev-parse", "feature"),
    diff: execFileSync("git", ["diff", "--no-color", "--no-ext-diff", "-M", "main...feature"], { cwd: work, encoding: "utf8" }),
  };
}

/** Every file under a directory, as bytes. */
function filesUnder(dir: string): { file: string; content: Buffer }[] {
  const out: { file: string; content: Buffer }[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.push({ file, content: fs.readFileSync(file) });
  }
  return out;
}

/** Command lines of the running processes that contain `text` (Linux: /proc). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      if (args.includes(text)) found.push(`${pid}: ${args}`);
    } catch {
      // Exited meanwhile.
    }
  }
  return found;
}

/** [first request started, last request finished] of the requests made with one token. */
function interval(requests: GitHttpRequest[], secret: string): [number, number] {
  const mine = requests.filter((r) => r.token === secret);
  expect(mine.length).toBeGreaterThan(0);
  return [Math.min(...mine.map((r) => r.startedAt)), Math.max(...mine.map((r) => r.finishedAt))];
}

describe("the repository cache", () => {
  let scratch: string;
  let projectRoot: string;
  let dataDir: string;
  let server: GitHttpServer;
  let goodToken: string;
  let otherToken: string;
  let app: Upstream;
  let lib: Upstream;
  let gitlabProject: Upstream;

  beforeAll(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-repository-cache-"));
    projectRoot = path.join(scratch, "upstream");
    dataDir = path.join(scratch, "data");
    goodToken = token();
    otherToken = token();
    app = createUpstream(projectRoot, scratch, "octo/app", ["refs/pull/7/head"]);
    lib = createUpstream(projectRoot, scratch, "octo/lib", ["refs/pull/9/head"]);
    gitlabProject = createUpstream(projectRoot, scratch, "group/sub/project", ["refs/merge-requests/3/head"]);
    server = await startGitHttpServer({ projectRoot, tokens: [goodToken, otherToken] });
  });
  afterAll(async () => {
    await server?.close();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("fetches a pull request's base and head with the right token, and diffs them as git does", async () => {
    const cache = await openRepositoryCache(dataDir, github("octo/app"));
    expect(cache.gitDir).toBe(path.join(dataDir, "repositories", "github", "octo", "app.git"));
    expect(fs.statSync(path.join(dataDir, "repositories")).mode & 0o777).toBe(0o700);
    const before = server.requests.length;
    const fetched = await fetchPullRequest(cache, { credentials: credentialsFor(server.repositoryUrl("octo/app"), goodToken), pullRequest: 7, headSha: app.headSha, baseRef: "main" });
    expect(fetched).toEqual({ baseSha: app.baseSha, headSha: app.headSha, baseRef: "refs/heads/main", headRef: "refs/pull/7/head", headRefSha: app.headSha });
    const made = server.requests.slice(before);
    expect(made.length).toBeGreaterThan(0);
    expect(made.every((r) => r.token === goodToken && r.status === 200)).toBe(true);
    expect(gitIn(cache.gitDir, "cat-file", "-t", app.headSha)).toBe("commit");
    expect(gitIn(cache.gitDir, "rev-parse", "--is-bare-repository")).toBe("true");

    const diff = await diffOf(cache, fetched.baseSha, fetched.headSha, 1024 * 1024);
    expect(diff).toEqual({ baseSha: app.baseSha, headSha: app.headSha, diff: app.diff });
    expect(diff.diff).toContain("rename to d.txt");
    expect(diff.diff).not.toContain("e.txt");
    await expect(diffOf(cache, fetched.baseSha, fetched.headSha, 10)).rejects.toThrow(/larger than the limit/);
  });

  it("leaves no trace of the token anywhere under the data directory", async () => {
    const cache = repositoryCacheFor(dataDir, github("octo/app"));
    await fetchPullRequest(cache, { credentials: credentialsFor(server.repositoryUrl("octo/app"), goodToken), pullRequest: 7, headSha: app.headSha, baseRef: "refs/heads/main" });
    const forms = [goodToken, Buffer.from(goodToken).toString("base64"), Buffer.from(`x-access-token:${goodToken}`).toString("base64"), ...credentialForms(credentialsFor("", goodToken))];
    const files = filesUnder(path.join(dataDir, "repositories"));
    expect(files.some(({ file }) => file.endsWith(`${path.sep}config`))).toBe(true);
    for (const { file, content } of files) {
      for (const form of forms) expect(content.includes(form), `${form} in ${file}`).toBe(false);
      expect(content.toString("latin1").toLowerCase(), file).not.toContain("extraheader");
      expect(content.toString("latin1").toLowerCase(), file).not.toContain("authorization");
    }
    // Nothing the fetch could have written: no remote, no helper, no header, no FETCH_HEAD, no reflogs.
    const config = fs.readFileSync(path.join(cache.gitDir, "config"), "utf8");
    expect(config).not.toMatch(/\[(remote|credential|http)/);
    expect(fs.existsSync(path.join(cache.gitDir, "FETCH_HEAD"))).toBe(false);
    expect(fs.existsSync(path.join(cache.gitDir, "logs"))).toBe(false);
    expect(fs.existsSync(path.join(cache.gitDir, "hooks"))).toBe(false);
  });

  it("passes the header in GIT_CONFIG_* only, after resetting helpers and headers", () => {
    const env = fetchEnvironment(credentialsFor("", goodToken));
    expect(env.GIT_CONFIG_COUNT).toBe("3");
    expect([env.GIT_CONFIG_KEY_0, env.GIT_CONFIG_VALUE_0]).toEqual(["credential.helper", ""]);
    expect([env.GIT_CONFIG_KEY_1, env.GIT_CONFIG_VALUE_1]).toEqual(["http.extraHeader", ""]);
    expect([env.GIT_CONFIG_KEY_2, env.GIT_CONFIG_VALUE_2]).toEqual(["http.extraHeader", `Authorization: ${basicAuthorization(goodToken)}`]);
    expect(env.GIT_TERMINAL_PROMPT).toBe("0");
    expect(env.GIT_ASKPASS).toBe("");
    expect(env.GIT_ALLOW_PROTOCOL).toBe("http:https");
    process.env.GIT_TRACE_CURL = "/tmp/trace"; // test: an operator's tracing is not inherited
    try {
      expect(fetchEnvironment(credentialsFor("", goodToken)).GIT_TRACE_CURL).toBeUndefined();
    } finally {
      delete process.env.GIT_TRACE_CURL;
    }
    expect(() => fetchEnvironment({ extraHeader: "Authorization: x\r\nX-Evil: 1" })).toThrow(/malformed/);
  });

  it("refuses a wrong token with a clear error that names neither token", async () => {
    const cache = await openRepositoryCache(dataDir, github("octo/lib"));
    const wrong = token();
    const before = server.requests.length;
    const error = await fetchPullRequest(cache, { credentials: credentialsFor(server.repositoryUrl("octo/lib"), wrong), pullRequest: 9, headSha: lib.headSha, baseRef: "main" }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RepositoryFetchError);
    const fetchError = error as RepositoryFetchError;
    expect(fetchError.reason).toBe("unauthorized");
    expect(fetchError.message).toMatch(/refused Flowgate's credentials fetching pull request #9 of octo\/lib/);
    for (const secret of [wrong, goodToken]) for (const form of credentialForms(credentialsFor("", secret))) expect(fetchError.message).not.toContain(form);
    expect(server.requests.slice(before).map((r) => r.status)).toContain(401);
    expect(server.requests.slice(before).every((r) => r.authorization === basicAuthorization(wrong))).toBe(true);
  });

  it("redacts the token, its base64 forms and the header's credential", () => {
    const secret = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
    const credentials = { ...credentialsFor("", secret), extraHeader: `Authorization: ${basicAuthorization(secret)}` };
    const b64 = Buffer.from(secret).toString("base64");
    const inside = Buffer.from(`oauth2:${secret}`).toString("base64"); // another alignment
    const text = `token ${secret}; url-encoded ${encodeURIComponent(secret)}; b64 ${b64}; header ${basicAuthorization(secret)}; gitlab ${inside}`;
    const redacted = redactCredentials(text, credentials);
    expect(redacted).not.toContain(secret);
    expect(redacted).not.toContain(b64.slice(0, 20));
    expect(redacted).not.toContain(Buffer.from(`x-access-token:${secret}`).toString("base64"));
    expect(redacted).not.toContain(inside.slice(4, 30));
    expect(redacted).toContain("token [redacted: code host credentials]");
    expect(redactCredentials("nothing secret here", credentials)).toBe("nothing secret here");
  });

  it("serialises two fetches of one repository and lets two repositories fetch side by side", async () => {
    const slow = await startGitHttpServer({ projectRoot, tokens: [goodToken, otherToken], delayMs: 150 });
    try {
      // Same repository, fresh cache: both succeed, one after the other.
      const same = github("octo/lib");
      const sameDir = path.join(scratch, "data-same");
      const fetchSame = (secret: string) =>
        fetchPullRequest(repositoryCacheFor(sameDir, same), { credentials: credentialsFor(slow.repositoryUrl("octo/lib"), secret), pullRequest: 9, headSha: lib.headSha, baseRef: "main" });
      const [first, second] = await Promise.all([fetchSame(goodToken), fetchSame(otherToken)]);
      expect(first.headSha).toBe(lib.headSha);
      expect(second.headSha).toBe(lib.headSha);
      const [a, b] = [interval(slow.requests, goodToken), interval(slow.requests, otherToken)];
      expect(a[1] <= b[0] || b[1] <= a[0], `overlapping fetches ${JSON.stringify([a, b])}`).toBe(true);
      const cache = repositoryCacheFor(sameDir, same);
      // (stderr ignored: fsck notes that the cache's own HEAD names no branch, which is expected)
      expect(execFileSync("git", ["--git-dir", cache.gitDir, "fsck", "--no-progress", "--strict"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })).toBe("");
      expect(await diffOf(cache, lib.baseSha, lib.headSha, 1 << 20)).toMatchObject({ diff: lib.diff });

      // Different repositories: neither waits for the other.
      slow.requests.length = 0;
      const otherDir = path.join(scratch, "data-different");
      await Promise.all([
        fetchPullRequest(repositoryCacheFor(otherDir, github("octo/app")), { credentials: credentialsFor(slow.repositoryUrl("octo/app"), goodToken), pullRequest: 7, headSha: app.headSha, baseRef: "main" }),
        fetchPullRequest(repositoryCacheFor(otherDir, github("octo/lib")), { credentials: credentialsFor(slow.repositoryUrl("octo/lib"), otherToken), pullRequest: 9, headSha: lib.headSha, baseRef: "main" }),
      ]);
      const [c, d] = [interval(slow.requests, goodToken), interval(slow.requests, otherToken)];
      expect(c[0] < d[1] && d[0] < c[1], `fetches of two repositories did not overlap ${JSON.stringify([c, d])}`).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it("serialises across processes: a lock held by another process blocks, and is released when that process dies", async () => {
    const cache = repositoryCacheFor(path.join(scratch, "data-process"), github("octo/app"));
    await withRepositoryLock(cache, async () => {}); // creates the lock file
    // Another process holds the lock (flock(1) on the same file, exec'ing sleep), then is killed.
    const holder = spawn("flock", ["--exclusive", "--no-fork", cache.lockPath, "sleep", "30"], { stdio: "ignore" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(withRepositoryLock(cache, async () => "got it", { lockTimeoutMs: 300 })).rejects.toMatchObject({ reason: "locked" });
    const acquired = withRepositoryLock(cache, async () => "got it", { lockTimeoutMs: 10_000 });
    holder.kill("SIGKILL");
    expect(await acquired).toBe("got it");
  });

  it("refuses hostile repository names before touching the disk", async () => {
    const hostile: HostRepository[] = [
      github("../../x"),
      github("octo/.."),
      github("octo/."),
      github("../x"),
      github("octo/app/../../../etc"),
      github("octo/a\u0000b"),
      github("oc\u0000to/app"),
      github("octo"),
      github("/etc/passwd"),
      github("-rf/app"),
      github("octo/a b"),
      github("octo/app\n"),
      github(""),
      { host: "gitlab", fullName: "group/../../x", installationId: "1" },
      { host: "gitlab", fullName: "group/.hidden", installationId: "1" },
      { host: "gitlab", fullName: "group/project.git", installationId: "1" },
      { host: "gitlab", fullName: "project", installationId: "1" },
      { host: "bitbucket" as "github", fullName: "octo/app", installationId: "1" },
    ];
    const hostileDir = path.join(scratch, "data-hostile");
    for (const repository of hostile) {
      expect(() => repositoryCacheFor(hostileDir, repository), JSON.stringify(repository.fullName)).toThrow(RepositoryNameError);
      await expect(openRepositoryCache(hostileDir, repository)).rejects.toThrow(RepositoryNameError);
    }
    expect(fs.existsSync(hostileDir)).toBe(false);
    // What the hosts do allow: ".github", dots and underscores; names are case-insensitive.
    expect(repositoryCacheFor(hostileDir, github("Octo-Org/.github")).gitDir).toBe(path.join(hostileDir, "repositories", "github", "octo-org", ".github.git"));
    expect(repositoryCacheFor(hostileDir, github("octo/App")).lockPath).toBe(repositoryCacheFor(hostileDir, github("OCTO/app")).lockPath);
  });

  it("refuses refs and URLs that could smuggle options, refspecs or credentials", async () => {
    const cache = repositoryCacheFor(dataDir, github("octo/app"));
    const good = credentialsFor(server.repositoryUrl("octo/app"), goodToken);
    const base = { credentials: good, pullRequest: 7, headSha: app.headSha, baseRef: "main" };
    await expect(fetchPullRequest(cache, { ...base, baseRef: "main:refs/heads/other" })).rejects.toThrow(/not a usable ref name/);
    await expect(fetchPullRequest(cache, { ...base, baseRef: "--upload-pack=touch /tmp/x" })).rejects.toThrow(/not a usable ref name/);
    await expect(fetchPullRequest(cache, { ...base, headRef: "refs/pull/7/../head" })).rejects.toThrow(/not a usable ref name/);
    await expect(fetchPullRequest(cache, { ...base, headSha: "HEAD" })).rejects.toThrow(/not a commit id/);
    const inUrl = new URL(good.url);
    inUrl.username = "x-access-token";
    inUrl.password = goodToken;
    const error = (await fetchPullRequest(cache, { ...base, credentials: { ...good, url: inUrl.toString() } }).catch((err: unknown) => err)) as Error;
    expect(error.message).toMatch(/must not carry credentials/);
    expect(error.message).not.toContain(goodToken);
    await expect(fetchPullRequest(cache, { ...base, credentials: { ...good, url: "ext::sh -c touch% /tmp/pwned" } })).rejects.toThrow(/http/);
    expect(() => pullRequestRef("github", 0)).toThrow(RangeError);
  });

  it("says so when the head commit is not what the host has", async () => {
    const cache = repositoryCacheFor(dataDir, github("octo/app"));
    const error = await fetchPullRequest(cache, { credentials: credentialsFor(server.repositoryUrl("octo/app"), goodToken), pullRequest: 7, headSha: "0123456789abcdef0123456789abcdef01234567", baseRef: "main" }).catch((err: unknown) => err);
    expect(error).toMatchObject({ reason: "head-missing" });
    const missing = await fetchPullRequest(cache, { credentials: credentialsFor(server.repositoryUrl("octo/app"), goodToken), pullRequest: 8, headSha: app.headSha, baseRef: "main" }).catch((err: unknown) => err);
    expect(missing).toMatchObject({ reason: "not-found" });
    expect((missing as Error).message).toContain("refs/pull/8/head");
  });

  it("negotiates through the server's gzip path when the cache has much history of its own", async () => {
    const cache = await openRepositoryCache(path.join(scratch, "data-gzip"), github("octo/app"));
    // 120 commits the host has never seen: git offers them as "have"s in rounds that grow past
    // 1 KiB, and gzips those requests.
    let stream = "";
    for (let i = 1; i <= 120; i++) {
      const content = `local ${i}\n`;
      stream += `commit refs/heads/local-only\nmark :${i}\ncommitter t <t@t> ${1700000000 + i} +0000\ndata 2\nc\n${i > 1 ? `from :${i - 1}\n` : ""}M 644 inline f.txt\ndata ${content.length}\n${content}\n`;
    }
    execFileSync("git", ["--git-dir", cache.gitDir, "fast-import", "--quiet"], { input: stream });
    const before = server.requests.length;
    const fetched = await fetchPullRequest(cache, { credentials: credentialsFor(server.repositoryUrl("octo/app"), goodToken), pullRequest: 7, headSha: app.headSha, baseRef: "main" });
    expect(fetched.headSha).toBe(app.headSha);
    const posts = server.requests.slice(before).filter((r) => r.method === "POST");
    expect(posts.some((r) => r.contentEncoding === "gzip" && r.status === 200), JSON.stringify(posts.map((r) => [r.contentEncoding, r.bodyBytes, r.status]))).toBe(true);
  });

  it("fetches a GitLab merge request from its own ref, under every group level", async () => {
    const repository: HostRepository = { host: "gitlab", fullName: "group/sub/project", installationId: "1" };
    const cache = await openRepositoryCache(dataDir, repository);
    expect(cache.gitDir).toBe(path.join(dataDir, "repositories", "gitlab", "group", "sub", "project.git"));
    const fetched = await fetchPullRequest(cache, { credentials: credentialsFor(server.repositoryUrl("group/sub/project"), goodToken), pullRequest: 3, headSha: gitlabProject.headSha, baseRef: "main" });
    expect(fetched.headRef).toBe("refs/merge-requests/3/head");
    expect((await diffOf(cache, fetched.baseSha, fetched.headSha, 1 << 20)).diff).toBe(gitlabProject.diff);
  });

  it("stops a fetch from a host that never answers, and releases the lock", async () => {
    const silent = await startSilentServer();
    try {
      const cache = repositoryCacheFor(dataDir, github("octo/app"));
      const started = Date.now();
      const error = await fetchPullRequest(cache, { credentials: credentialsFor(`${silent.url}/octo/app.git`, goodToken), pullRequest: 7, headSha: app.headSha, baseRef: "main", timeoutMs: 1500 }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(RepositoryFetchError);
      expect(error).toMatchObject({ reason: "timeout" });
      expect((error as Error).message).toMatch(/took over 1\.5 s and was stopped/);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(silent.connections).toBeGreaterThan(0);
      // git and the git-remote-http it started were killed together (their process group).
      expect(processesMentioning(silent.url)).toEqual([]);
      // The lock is free again: the next fetch goes through at once.
      const fetched = await fetchPullRequest(cache, { credentials: credentialsFor(server.repositoryUrl("octo/app"), goodToken), pullRequest: 7, headSha: app.headSha, baseRef: "main", lockTimeoutMs: 2000 });
      expect(fetched.headSha).toBe(app.headSha);
    } finally {
      await silent.close();
    }
  });

  it("serves today's readers as it is: cat-file sources and an exported workspace from the bare cache", async () => {
    const cache = repositoryCacheFor(dataDir, github("octo/app"));
    const { diff } = await diffOf(cache, app.baseSha, app.headSha, 1 << 20);
    const files = parseUnifiedDiff(diff).files;
    const sources = await readRepositorySources(cache.gitDir, app.baseSha, app.headSha, files);
    expect(sources.get("a.txt")).toEqual({ base: "one\ntwo\nthree\n", head: "one\n2\nthree\n" });
    expect(sources.get("c.txt")).toEqual({ base: null, head: "new\n" });

    const workspaceRoot = path.join(scratch, "workspaces");
    fs.mkdirSync(workspaceRoot);
    const workspace = await createWorkspace({ root: workspaceRoot, repository: { kind: "local", location: cache.gitDir }, headSha: app.headSha, runId: "run1", stage: "test", attempt: 1 });
    try {
      expect(fs.readdirSync(workspace.dir).sort()).toEqual(["a.txt", "c.txt", "d.txt"]);
      expect(fs.existsSync(path.join(workspace.dir, ".git"))).toBe(false);
    } finally {
      await workspace.remove();
    }
  });
});
