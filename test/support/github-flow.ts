import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { createGitHubHost } from "../../lib/code-host/github/github-host";
import { signGithubPayload } from "../../lib/code-host/github/webhook-signature";
import { handleCodeHostDelivery, type DeliveryDeps } from "../../lib/code-host/intake/handle-delivery";
import { publishPending, type HostResolver } from "../../lib/code-host/publish/publish";
import type { Db } from "../../lib/db/client";
import { log } from "../../lib/log";
import { startFakeGitHubApi, type FakeGitHubApi } from "./fake-github";
import { startGitHttpServer, type GitHttpServer } from "./git-http-server";

/**
 * A repository on (fake) GitHub for end-to-end tests of the code host: an upstream bare repository
 * served over git's smart HTTP to holders of the installation tokens the fake GitHub issued, the
 * fake GitHub REST API (real Octokit through the real host), and helpers that push commits, deliver
 * signed webhooks through the real route and run their delivery job, and send what the outbox holds.
 */

type Handler = (req: Request, segment: { params: Promise<Record<string, string>> }) => Promise<Response>;
export const FLOW_WEBHOOK_SECRET = "flow-webhook-secret-0123456789";
const APP_ID = 4242;
export const FLOW_INSTALLATION = 31;
export const FLOW_REPOSITORY = "acme/shop";

const examples: { name: string; examples: Record<string, any>[] }[] = JSON.parse(
  fs.readFileSync(path.resolve(import.meta.dirname, "../../node_modules/@octokit/webhooks-examples/api.github.com/index.json"), "utf8"),
);
/** One of GitHub's documented example payloads (from an App installation) for an event and action. */
export const githubExample = (event: string, action: string) => structuredClone(examples.find((e) => e.name === event)!.examples.find((e) => e.action === action && e.installation)!);

export const sh = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "dev", GIT_AUTHOR_EMAIL: "dev@example.com", GIT_COMMITTER_NAME: "dev", GIT_COMMITTER_EMAIL: "dev@example.com" } }).trim();

export interface GitHubFlow {
  fake: FakeGitHubApi;
  git: GitHttpServer;
  deps: DeliveryDeps;
  resolveHost: HostResolver;
  /** The upstream bare repository. */
  upstream: string;
  /** A clone to commit in. */
  work: string;
  /** The base branch's tip. */
  baseSha(): string;
  /** A commit on the pull request's head ref upstream (refs/pull/<n>/head), on top of `from` (default main); returns its SHA. */
  pushHead(number: number, file: string, content: string, from?: string): string;
  /** A commit on main upstream (the base moving on). */
  pushBase(file: string, content: string): string;
  /** A pull_request payload from GitHub's examples, for this repository, number and head. */
  pullRequestPayload(action: string, number: number, headSha: string, extra?: Record<string, unknown>): any;
  /** Delivers a signed webhook through the route, then runs its delivery job; returns the delivery row. */
  deliver(event: string, payload: unknown, id?: string): Promise<{ status: string; outcome: string | null; payload: unknown }>;
  /** Sends every pending publication of a run, as the publish jobs would. */
  publishAll(runId: string): Promise<void>;
  /** The newest check of each name on a commit. */
  checksOn(sha: string): Record<string, any>;
  close(): Promise<void>;
}

export async function startGitHubFlow(db: Db, options: { name: string }): Promise<GitHubFlow> {
  const quiet = log.child({ test: options.name });
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } });
  process.env.GITHUB_WEBHOOK_SECRET = FLOW_WEBHOOK_SECRET;
  const POST = (await import("../../app/api/v1/hooks/github/route")).POST as Handler;

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `flowgate-${options.name}-`));
  const work = path.join(scratch, "work");
  const upstream = path.join(scratch, "upstream", `${FLOW_REPOSITORY}.git`);
  fs.mkdirSync(path.dirname(upstream), { recursive: true });
  sh(scratch, "init", "-q", "--bare", upstream);
  sh(scratch, "init", "-q", "-b", "main", work);
  fs.writeFileSync(path.join(work, "README.md"), "# shop\n");
  sh(work, "add", "-A");
  sh(work, "commit", "-q", "-m", "initial");
  sh(work, "push", "-q", upstream, "main");

  const fake = await startFakeGitHubApi({ appId: APP_ID, publicKey: keys.publicKey, installations: { [String(FLOW_INSTALLATION)]: [FLOW_REPOSITORY] }, gitDirs: { [FLOW_REPOSITORY]: upstream } });
  // The git server accepts exactly the installation tokens the fake GitHub issued and has not revoked.
  const git = await startGitHttpServer({ projectRoot: path.join(scratch, "upstream"), tokens: [], accepts: (token) => fake.tokens.some((issued) => issued.token === token && !issued.revoked) });
  const host = createGitHubHost({ appId: APP_ID, privateKey: keys.privateKey, baseUrl: fake.url, gitBaseUrl: git.url, limits: { rateLimitRetries: 0, serverErrorRetries: 0 } });
  const resolveHost: HostResolver = (repository) =>
    repository.kind === "github" && repository.hostInstallationId ? { host, repository: { host: "github", fullName: repository.location, installationId: repository.hostInstallationId } } : null;
  const deps: DeliveryDeps = { db, log: quiet, dataDir: path.join(scratch, "data"), resolveHost };
  // The stages read code-host repositories from the caches under the data directory.
  process.env.FLOWGATE_DATA_DIR = deps.dataDir;

  const commit = (file: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
    fs.writeFileSync(path.join(work, file), content);
    sh(work, "add", "-A");
    sh(work, "commit", "-q", "-m", `change ${file}`);
    return sh(work, "rev-parse", "HEAD");
  };

  return {
    fake,
    git,
    deps,
    resolveHost,
    upstream,
    work,
    baseSha: () => sh(upstream, "rev-parse", "refs/heads/main"),
    pushHead(number, file, content, from = "main") {
      sh(work, "fetch", "-q", upstream, "+refs/heads/main:refs/remotes/upstream/main");
      sh(work, "checkout", "-q", "-B", `pr-${number}`, from === "main" ? "upstream/main" : from);
      const sha = commit(file, content);
      sh(work, "push", "-q", "-f", upstream, `HEAD:refs/pull/${number}/head`);
      return sha;
    },
    pushBase(file, content) {
      sh(work, "fetch", "-q", upstream, "+refs/heads/main:refs/remotes/upstream/main");
      sh(work, "checkout", "-q", "-B", "main", "upstream/main");
      const sha = commit(file, content);
      sh(work, "push", "-q", upstream, "HEAD:refs/heads/main");
      return sha;
    },
    pullRequestPayload(action, number, headSha, extra = {}) {
      const payload = githubExample("pull_request", action === "synchronize" ? "synchronize" : action === "closed" ? "closed" : "opened");
      payload.action = action;
      payload.number = number;
      payload.installation = { id: FLOW_INSTALLATION };
      payload.repository.full_name = FLOW_REPOSITORY;
      Object.assign(payload.pull_request, { number, title: `Reports #${number}`, body: "Adds report expressions.", draft: false, merged: false, merged_at: null, closed_at: null, created_at: "2026-12-01T09:00:00Z" });
      payload.pull_request.user.login = "dana";
      payload.pull_request.head.sha = headSha;
      payload.pull_request.head.repo.full_name = FLOW_REPOSITORY;
      payload.pull_request.base.ref = "main";
      payload.pull_request.base.sha = sh(upstream, "rev-parse", "refs/heads/main");
      payload.pull_request.base.repo.full_name = FLOW_REPOSITORY;
      if (action === "synchronize") payload.after = headSha;
      Object.assign(payload.pull_request, extra);
      return payload;
    },
    async deliver(event, payload, id = randomUUID()) {
      const body = JSON.stringify(payload);
      const response = await POST(
        new Request("http://localhost/api/v1/hooks/github", {
          method: "POST",
          headers: { "content-type": "application/json", "x-github-delivery": id, "x-github-event": event, "x-hub-signature-256": signGithubPayload(body, FLOW_WEBHOOK_SECRET) },
          body,
        }),
        { params: Promise.resolve({}) },
      );
      expect([200, 202]).toContain(response.status);
      const row = await db.codeHostDelivery.findUniqueOrThrow({ where: { host_deliveryId: { host: "github", deliveryId: id } } });
      await handleCodeHostDelivery(deps, { deliveryId: row.id }, { attempt: 1, maxAttempts: 5 });
      return db.codeHostDelivery.findUniqueOrThrow({ where: { id: row.id } });
    },
    async publishAll(runId) {
      const pending = await db.codeHostPublication.findMany({ where: { runId, status: "pending" }, distinct: ["kind", "name"], select: { kind: true, name: true } });
      for (const p of pending) await publishPending(db, resolveHost, { runId, kind: p.kind as "check", name: p.name }, quiet);
    },
    checksOn: (sha) => Object.fromEntries(fake.checkRuns(FLOW_REPOSITORY).filter((c) => c.head_sha === sha).map((c) => [c.name, c])),
    async close() {
      await git.close();
      await fake.close();
      fs.rmSync(scratch, { recursive: true, force: true });
    },
  };
}
