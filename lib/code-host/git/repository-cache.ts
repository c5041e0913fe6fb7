/**
 * One bare git repository per host repository, on the runner's disk, that pull requests are
 * fetched into (issue #18). The stages read from it (the diff, files as git objects, a head tree
 * exported per stage attempt); nothing ever checks it out and nothing bound into a sandbox points
 * at it. Why this layout, the credentials in the environment and the lock:
 * docs/decisions/019-code-host-repositories.md.
 *
 *   <dataDir>/repositories/<host>/<owner>/<name>.git     the bare cache (GitLab: every group level)
 *   <dataDir>/repositories/.locks/<host>/<sha256>.lock   its lock (flock), never removed
 *   <dataDir>/repositories/.tmp/                         caches being created, renamed into place
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { diffBetween, gitEnvironment } from "../../git/git";
import type { Logger } from "../../log";
import type { CodeHostKind, FetchCredentials, HostRepository } from "../code-host";
import { redactCredentials } from "./redact-credentials";

export interface RepositoryCache {
  repository: HostRepository;
  /** The bare repository. */
  gitDir: string;
  /** The file `flock` locks for this repository (outside the repository, beside no other name). */
  lockPath: string;
}

export class RepositoryNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RepositoryNameError";
  }
}

export type RepositoryFetchFailure = "unauthorized" | "not-found" | "timeout" | "head-missing" | "locked" | "failed";

/** A fetch that did not leave the head in the cache; the message never contains the credentials. */
export class RepositoryFetchError extends Error {
  constructor(
    message: string,
    readonly reason: RepositoryFetchFailure,
  ) {
    super(message);
    this.name = "RepositoryFetchError";
  }
}

export const DEFAULT_FETCH_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_LOCK_TIMEOUT_MS = 15 * 60_000;
// git gc --auto after a fetch: bounded on its own, and its failure does not fail the fetch.
const MAINTENANCE_TIMEOUT_MS = 10 * 60_000;
// What is kept of a git process's output for an error message.
const MAX_OUTPUT = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Names and paths

// GitHub: owners are letters, digits and hyphens (Enterprise Server also allows underscores), at
// most 39; repository names letters, digits, ".", "_", "-", at most 100 (".github" is a real one).
const GITHUB_OWNER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,38}$/;
const GITHUB_NAME = /^[A-Za-z0-9._-]{1,100}$/;
// GitLab: every level of a project's full path is letters, digits, "_", "-", "."; it starts with a
// letter, digit or "_" and does not end in ".git" or ".atom". At most 20 levels of groups.
const GITLAB_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
const GITLAB_MAX_SEGMENTS = 21;

/** The path segments of a repository's full name, checked against its host's rules; throws otherwise. */
export function repositoryPathSegments(repository: Pick<HostRepository, "host" | "fullName">): string[] {
  const { host, fullName } = repository;
  const shown = JSON.stringify(String(fullName).slice(0, 200));
  if (typeof fullName !== "string") throw new RepositoryNameError("a repository's full name must be a string");
  const segments = fullName.split("/");
  const refuse = (why: string): never => {
    throw new RepositoryNameError(`refusing the ${host} repository name ${shown}: ${why}`);
  };
  if (host === "github") {
    if (segments.length !== 2) refuse('a GitHub repository is "owner/name"');
    const [owner, name] = segments;
    if (!GITHUB_OWNER.test(owner)) refuse("the owner is not a GitHub account name");
    if (!GITHUB_NAME.test(name) || name === "." || name === "..") refuse("the name is not a GitHub repository name");
  } else if (host === "gitlab") {
    if (segments.length < 2 || segments.length > GITLAB_MAX_SEGMENTS) refuse('a GitLab project is "group/…/project"');
    for (const segment of segments) {
      if (!GITLAB_SEGMENT.test(segment) || /\.(git|atom)$/i.test(segment)) refuse(`${JSON.stringify(segment)} is not a GitLab path`);
    }
  } else {
    throw new RepositoryNameError(`unknown code host ${JSON.stringify(String(host))}`);
  }
  // Both hosts treat names case-insensitively: one cache per repository, whatever the spelling.
  return segments.map((segment) => segment.toLowerCase());
}

/** `<dataDir>/repositories`: every cache, its locks and the caches being created. */
export function repositoriesRoot(dataDir: string): string {
  return path.join(path.resolve(dataDir), "repositories");
}

/** Where a repository's cache and lock are; checks the name, creates nothing. */
export function repositoryCacheFor(dataDir: string, repository: HostRepository): RepositoryCache {
  const segments = repositoryPathSegments(repository);
  const root = repositoriesRoot(dataDir);
  const hostDir = path.join(root, repository.host satisfies CodeHostKind);
  const gitDir = path.join(hostDir, ...segments.slice(0, -1), `${segments.at(-1)}.git`);
  // The rules above already exclude "..", "/" and NUL; this is the second wall.
  const inside = path.relative(hostDir, gitDir);
  if (inside.startsWith("..") || path.isAbsolute(inside)) throw new RepositoryNameError(`the cache of ${repository.fullName} would be outside ${hostDir}`);
  const key = createHash("sha256").update(`${repository.host}\n${segments.join("/")}`).digest("hex");
  return { repository, gitDir, lockPath: path.join(root, ".locks", repository.host, `${key}.lock`) };
}

/** The cache of a repository, created (`git init --bare`) if this is its first use. */
export async function openRepositoryCache(dataDir: string, repository: HostRepository, options: { lockTimeoutMs?: number } = {}): Promise<RepositoryCache> {
  const cache = repositoryCacheFor(dataDir, repository);
  await withRepositoryLock(cache, () => ensureInitialised(cache), options);
  return cache;
}

/** The ref a pull request's head is published under: GitHub's `refs/pull/<n>/head`, GitLab's `refs/merge-requests/<n>/head`. */
export function pullRequestRef(host: CodeHostKind, pullRequest: number): string {
  if (!Number.isSafeInteger(pullRequest) || pullRequest <= 0) throw new RangeError(`not a pull request number: ${pullRequest}`);
  return host === "gitlab" ? `refs/merge-requests/${pullRequest}/head` : `refs/pull/${pullRequest}/head`;
}

function makePrivateDirectory(dir: string) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

async function ensureInitialised(cache: RepositoryCache): Promise<void> {
  const existing = fs.lstatSync(cache.gitDir, { throwIfNoEntry: false });
  if (existing) {
    if (!existing.isDirectory()) throw new Error(`the repository cache ${cache.gitDir} is not a directory`);
    if (fs.existsSync(path.join(cache.gitDir, "HEAD"))) return;
    // Not a repository (an interrupted copy by hand?): start over.
    fs.rmSync(cache.gitDir, { recursive: true, force: true });
  }
  // <repositories>/.locks/<host>/<key>.lock → <repositories>/.tmp
  const tmpDir = path.join(path.dirname(path.dirname(path.dirname(cache.lockPath))), ".tmp");
  makePrivateDirectory(tmpDir);
  const building = path.join(tmpDir, `${randomBytes(8).toString("hex")}.git`);
  try {
    // No template: no hooks, no description, nothing but a repository.
    await checked(await runGit(null, ["init", "--quiet", "--bare", "--template=", building], { timeoutMs: 60_000 }), "git init");
    // Maintenance runs in the foreground, under the lock (a detached gc would outlive it).
    for (const [key, value] of [
      ["gc.autoDetach", "false"],
      ["maintenance.autoDetach", "false"],
      ["core.logAllRefUpdates", "false"],
    ]) {
      await checked(await runGit(building, ["config", key, value], { timeoutMs: 60_000 }), "git config");
    }
    makePrivateDirectory(path.dirname(cache.gitDir));
    fs.renameSync(building, cache.gitDir);
  } finally {
    fs.rmSync(building, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The lock

/**
 * Runs `fn` holding the repository's lock: `flock(2)` on the repository's lock file, taken by the
 * `flock` program on a descriptor this process opened and shares with it. The lock belongs to the
 * open file (not to the short-lived `flock` process), so it is held until this process closes the
 * descriptor, and the kernel drops it if the process dies: no stale lock to detect, no pid files.
 * Two opens are two locks, so fetches of one repository serialise within a process too; other
 * repositories have other files and never wait. Waiting happens in the child, off the event loop.
 */
export async function withRepositoryLock<T>(cache: RepositoryCache, fn: () => Promise<T>, options: { lockTimeoutMs?: number } = {}): Promise<T> {
  const timeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  makePrivateDirectory(path.dirname(cache.lockPath));
  const fd = fs.openSync(cache.lockPath, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  try {
    await new Promise<void>((resolve, reject) => {
      const seconds = Math.max(timeoutMs / 1000, 0.001).toFixed(3);
      const child = spawn("flock", ["--exclusive", "--wait", seconds, "--conflict-exit-code", "75", "3"], { stdio: ["ignore", "ignore", "pipe", fd] });
      let stderr = "";
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", (err) => reject(new Error(`could not run flock to lock ${cache.repository.fullName} (util-linux's flock is needed): ${err.message}`)));
      child.on("close", (code) => {
        if (code === 0) return resolve();
        if (code === 75) return reject(new RepositoryFetchError(`another fetch of ${cache.repository.fullName} held its lock for over ${timeoutMs / 1000} s`, "locked"));
        reject(new Error(`could not lock ${cache.repository.fullName}: ${stderr.trim() || `flock exited with ${code}`}`));
      });
    });
    return await fn();
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// Running git

interface GitRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

// Variables that point git at another repository, object store or config: never inherited.
const LOCAL_GIT_VARIABLES = new Set([
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_CONFIG",
  "GIT_CONFIG_PARAMETERS",
  "GIT_CONFIG_COUNT",
  "GIT_OBJECT_DIRECTORY",
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_IMPLICIT_WORK_TREE",
  "GIT_GRAFT_FILE",
  "GIT_INDEX_FILE",
  "GIT_NO_REPLACE_OBJECTS",
  "GIT_REPLACE_REF_BASE",
  "GIT_PREFIX",
  "GIT_INTERNAL_SUPER_PREFIX",
  "GIT_SHALLOW_FILE",
  "GIT_COMMON_DIR",
  "GIT_ASKPASS",
  "SSH_ASKPASS",
]);

/** lib/git's environment without anything that redirects git or asks anyone for a password. */
function cacheGitEnvironment(): NodeJS.ProcessEnv {
  const env = gitEnvironment();
  // Tracing (GIT_TRACE=/some/file, GIT_TRACE_CURL, GIT_CURL_VERBOSE) would write the headers of
  // the request somewhere; none is inherited.
  for (const name of Object.keys(env)) if (LOCAL_GIT_VARIABLES.has(name) || /^GIT_CONFIG_(KEY|VALUE)_\d+$/.test(name) || /^GIT_TRACE/.test(name) || name === "GIT_CURL_VERBOSE") delete env[name];
  env.GIT_TRACE_REDACT = "1";
  // Empty, not unset: git skips an empty GIT_ASKPASS and asks neither core.askPass nor SSH_ASKPASS.
  env.GIT_ASKPASS = "";
  env.GIT_TERMINAL_PROMPT = "0";
  return env;
}

/**
 * The environment of the one git process that talks to the host. The header travels only here:
 * `GIT_CONFIG_COUNT` entries are configuration of that process alone (git ≥ 2.31), not of any file.
 * The list resets `credential.helper` (no helper is asked or told anything) and `http.extraHeader`
 * (no header from the user's own configuration rides along) before setting ours.
 */
export function fetchEnvironment(credentials: Pick<FetchCredentials, "extraHeader">): NodeJS.ProcessEnv {
  if (/[\r\n\0]/.test(credentials.extraHeader) || !/^[A-Za-z0-9-]+:\s*\S/.test(credentials.extraHeader)) throw new Error("the code host's fetch header is malformed");
  const entries: [string, string][] = [
    ["credential.helper", ""],
    ["http.extraHeader", ""],
    ["http.extraHeader", credentials.extraHeader],
  ];
  const env = cacheGitEnvironment();
  env.GIT_CONFIG_COUNT = String(entries.length);
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  // Only the smart HTTP transport: a hostile URL cannot reach ext::, file:// or ssh.
  env.GIT_ALLOW_PROTOCOL = "http:https";
  return env;
}

/**
 * One git process against `gitDir` (or none), killed with everything it started (git-remote-https)
 * when it outlives the timeout. It leads its own process group for that reason.
 */
function runGit(gitDir: string | null, args: string[], options: { timeoutMs: number; env?: NodeJS.ProcessEnv; input?: string }): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", gitDir ? ["--git-dir", gitDir, ...args] : args, {
      env: options.env ?? cacheGitEnvironment(),
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    // The tail is what says why (git's "fatal:" comes last).
    const keep = (text: string) => (text.length > MAX_OUTPUT ? text.slice(-MAX_OUTPUT) : text);
    child.stdout!.on("data", (chunk: Buffer) => (stdout = keep(stdout + chunk.toString())));
    child.stderr!.on("data", (chunk: Buffer) => (stderr = keep(stderr + chunk.toString())));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }, options.timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

async function checked(run: GitRun, what: string): Promise<string> {
  if (run.code === 0 && !run.timedOut) return run.stdout;
  throw new Error(`${what} failed: ${run.timedOut ? "timed out" : firstFatalLine(run.stderr) || `exit ${run.code}`}`);
}

function firstFatalLine(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.trim()).filter(Boolean);
  return lines.find((line) => /^(fatal|error):/.test(line)) ?? lines.at(-1) ?? "";
}

let versionCheck: Promise<void> | undefined;

/** GIT_CONFIG_COUNT needs git 2.31; an older git would silently fetch without the header. */
export function assertGitSupportsConfigEnvironment(): Promise<void> {
  versionCheck ??= runGit(null, ["version"], { timeoutMs: 30_000 }).then((run) => {
    const match = /git version (\d+)\.(\d+)/.exec(run.stdout);
    if (!match) throw new Error(`could not tell git's version from ${JSON.stringify(run.stdout.trim())}`);
    const [major, minor] = [Number(match[1]), Number(match[2])];
    if (major < 2 || (major === 2 && minor < 31)) throw new Error(`git ${match[1]}.${match[2]} is too old: fetching from a code host needs git 2.31 or later (GIT_CONFIG_COUNT)`);
  });
  versionCheck.catch(() => (versionCheck = undefined));
  return versionCheck;
}

// ---------------------------------------------------------------------------------------------
// Fetching a pull request

export interface FetchPullRequestOptions {
  credentials: FetchCredentials;
  pullRequest: number;
  /** The head commit the run is for; the fetch fails unless it is in the cache afterwards. */
  headSha: string;
  /** The branch the pull request targets ("main" or "refs/heads/main"). */
  baseRef: string;
  /** Where the host publishes the head; default: pullRequestRef(host, pullRequest). */
  headRef?: string;
  timeoutMs?: number;
  lockTimeoutMs?: number;
  log?: Pick<Logger, "info" | "warn">;
}

export interface FetchedPullRequest {
  /** The base branch's tip in the cache, as just fetched. */
  baseSha: string;
  headSha: string;
  /** Full names of the refs fetched, as the cache holds them (the host's own names). */
  baseRef: string;
  headRef: string;
  /** Where the head ref points now: a newer commit than headSha if the author pushed since. */
  headRefSha: string;
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

async function validRefName(ref: string): Promise<boolean> {
  if (ref.startsWith("-") || /[\s:*?[\\^~\0]/.test(ref)) return false;
  const run = await runGit(null, ["check-ref-format", ref], { timeoutMs: 30_000 });
  return run.code === 0;
}

function checkedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("the code host's fetch URL is not a URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error(`the code host's fetch URL must be http(s), not ${parsed.protocol}`);
  // Credentials travel in the header only: a URL that carries any is refused, not used.
  if (parsed.username || parsed.password) throw new Error("the code host's fetch URL must not carry credentials");
  return parsed.toString();
}

/**
 * Fetches a pull request's base branch and head into the repository's cache, holding the
 * repository's lock, and checks that the head commit is there. The credentials reach only the
 * environment of the fetching git process (fetchEnvironment): not its arguments, not a URL, not a
 * file. Every message it produces goes through redactCredentials.
 */
export async function fetchPullRequest(cache: RepositoryCache, options: FetchPullRequestOptions): Promise<FetchedPullRequest> {
  const { credentials } = options;
  const redact = (text: string) => redactCredentials(text, credentials);
  const name = cache.repository.fullName;
  const headSha = options.headSha.toLowerCase();
  if (!SHA.test(headSha)) throw new Error(`not a commit id: ${JSON.stringify(redact(options.headSha.slice(0, 80)))}`);
  const baseBranch = options.baseRef.replace(/^refs\/heads\//, "");
  const baseRef = `refs/heads/${baseBranch}`;
  const headRef = options.headRef ?? pullRequestRef(cache.repository.host, options.pullRequest);
  for (const ref of [baseRef, headRef]) {
    if (!ref.startsWith("refs/") || !(await validRefName(ref))) throw new Error(`not a usable ref name: ${JSON.stringify(redact(ref.slice(0, 200)))}`);
  }
  const url = checkedUrl(credentials.url);
  const env = fetchEnvironment(credentials);
  await assertGitSupportsConfigEnvironment();
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;

  return withRepositoryLock(
    cache,
    async () => {
      await ensureInitialised(cache);
      const started = Date.now();
      const args = ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-auto-maintenance", "--no-recurse-submodules", "--", url, `+${baseRef}:${baseRef}`, `+${headRef}:${headRef}`];
      const run = await runGit(cache.gitDir, args, { timeoutMs, env });
      if (run.timedOut) throw new RepositoryFetchError(`fetching pull request #${options.pullRequest} of ${name} took over ${timeoutMs / 1000} s and was stopped`, "timeout");
      if (run.code !== 0) throw fetchFailure(run.stderr, { name, pullRequest: options.pullRequest, headRef, baseRef, redact });

      const present = await runGit(cache.gitDir, ["cat-file", "-e", `${headSha}^{commit}`], { timeoutMs: 60_000 });
      if (present.code !== 0) {
        throw new RepositoryFetchError(`the head commit ${headSha} of pull request #${options.pullRequest} of ${name} is not in ${headRef} as fetched (pushed over since?)`, "head-missing");
      }
      const [baseSha, headRefSha] = await Promise.all(
        [baseRef, headRef].map(async (ref) => (await checked(await runGit(cache.gitDir, ["rev-parse", "--verify", "--end-of-options", `${ref}^{commit}`], { timeoutMs: 60_000 }), "git rev-parse")).trim()),
      );
      options.log?.info({ repository: name, pullRequest: options.pullRequest, headSha, baseSha, ms: Date.now() - started }, "fetched the pull request into the repository cache");

      // Housekeeping while still holding the lock; a failure here is logged, the fetch stands.
      const gc = await runGit(cache.gitDir, ["gc", "--auto", "--quiet"], { timeoutMs: MAINTENANCE_TIMEOUT_MS });
      if (gc.code !== 0 || gc.timedOut) options.log?.warn({ repository: name, error: redact(gc.timedOut ? "timed out" : firstFatalLine(gc.stderr)) }, "git gc --auto failed in the repository cache");
      return { baseSha, headSha, baseRef, headRef, headRefSha };
    },
    { lockTimeoutMs: options.lockTimeoutMs },
  );
}

function fetchFailure(stderr: string, context: { name: string; pullRequest: number; headRef: string; baseRef: string; redact: (text: string) => string }): RepositoryFetchError {
  const said = context.redact(firstFatalLine(stderr)).slice(0, 500);
  const what = `pull request #${context.pullRequest} of ${context.name}`;
  if (/terminal prompts disabled|Authentication failed|could not read (Username|Password)|returned error: 40[13]\b|HTTP 40[13]\b/i.test(stderr)) {
    return new RepositoryFetchError(`the code host refused Flowgate's credentials fetching ${what} (${said})`, "unauthorized");
  }
  if (/couldn't find remote ref|not found|returned error: 404\b|HTTP 404\b/i.test(stderr)) {
    return new RepositoryFetchError(`the code host has no ${context.baseRef} or ${context.headRef} for ${what}, or no such repository (${said})`, "not-found");
  }
  return new RepositoryFetchError(`could not fetch ${what}: ${said || "git fetch failed"}`, "failed");
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * The diff the pull request would merge (base...head: changes since the merge base), read from
 * the cache as lib/git's diffBetween reads a local repository. Reads need no lock: git publishes
 * objects before the refs that name them, and a fetch never removes objects.
 */
export function diffOf(cache: RepositoryCache, baseSha: string, headSha: string, maxBytes: number) {
  return diffBetween(cache.gitDir, baseSha, headSha, maxBytes);
}
