import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStageJob } from "@/agents/engine/run-stage-job";
import { createReviewAgent } from "@/agents/review/review-agent";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import type { Actor } from "@/lib/auth/actor";
import { createGitHubHost } from "@/lib/code-host/github/github-host";
import { signGithubPayload } from "@/lib/code-host/github/webhook-signature";
import { handleCodeHostDelivery, type DeliveryDeps } from "@/lib/code-host/intake/handle-delivery";
import { publishPending, type HostResolver } from "@/lib/code-host/publish/publish";
import { GATE_CHECK } from "@/lib/code-host/publish/stage-checks";
import { decideEscalation } from "@/lib/escalations/decide-escalation";
import { log } from "@/lib/log";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { createUser } from "@/lib/users/create-user";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { startFakeGitHubApi, type FakeGitHubApi } from "../support/fake-github";
import { startGitHttpServer, type GitHttpServer } from "../support/git-http-server";
import { stageAgents } from "../support/stage-agents";

// A pull request on (fake) GitHub, end to end without a browser: a signed webhook through the real
// route, the delivery job fetching the head over git's smart HTTP with an installation token, the
// run and its review, the checks and the sticky comment published through the real Octokit, a
// person's decision flipping the gate, a push superseding the run, and closing the pull request.

type Handler = (req: Request, segment: { params: Promise<Record<string, string>> }) => Promise<Response>;
const SECRET = "flow-webhook-secret-0123456789";
const APP_ID = 4242;
const INSTALLATION = 31;
const keys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } });
const quiet = log.child({ test: "github-pull-request-flow" });
const examples: { name: string; examples: Record<string, any>[] }[] = JSON.parse(
  fs.readFileSync(path.resolve(import.meta.dirname, "../../node_modules/@octokit/webhooks-examples/api.github.com/index.json"), "utf8"),
);
const example = (event: string, action: string) => structuredClone(examples.find((e) => e.name === event)!.examples.find((e) => e.action === action && e.installation)!);

const sh = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "dev", GIT_AUTHOR_EMAIL: "dev@example.com", GIT_COMMITTER_NAME: "dev", GIT_COMMITTER_EMAIL: "dev@example.com" } }).trim();

describe("a GitHub pull request through Flowgate", () => {
  let t: TestDatabase;
  let fake: FakeGitHubApi;
  let git: GitHttpServer;
  let POST: Handler;
  let scratch: string;
  let work: string;
  let deps: DeliveryDeps;
  let resolveHost: HostResolver;
  const base = { sha: "" };

  /** A commit on the pull request's head ref upstream (refs/pull/<n>/head), returning its SHA. */
  function pushHead(number: number, file: string, content: string) {
    sh(work, "checkout", "-q", "-B", `pr-${number}`, "main");
    fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
    fs.writeFileSync(path.join(work, file), content);
    sh(work, "add", "-A");
    sh(work, "commit", "-q", "-m", `change for #${number}`);
    sh(work, "push", "-q", "-f", path.join(scratch, "upstream", "acme", "shop.git"), `HEAD:refs/pull/${number}/head`);
    return sh(work, "rev-parse", "HEAD");
  }

  function pullRequestPayload(action: string, number: number, headSha: string, extra: Record<string, unknown> = {}) {
    const payload = example("pull_request", action === "synchronize" ? "synchronize" : action === "closed" ? "closed" : "opened");
    payload.action = action;
    payload.number = number;
    payload.installation = { id: INSTALLATION };
    payload.repository.full_name = "acme/shop";
    Object.assign(payload.pull_request, { number, title: `Reports #${number}`, body: "Adds report expressions.", draft: false, merged: false, merged_at: null, closed_at: null, created_at: "2026-12-01T09:00:00Z" });
    payload.pull_request.user.login = "dana";
    payload.pull_request.head.sha = headSha;
    payload.pull_request.head.repo.full_name = "acme/shop";
    payload.pull_request.base.ref = "main";
    payload.pull_request.base.sha = base.sha;
    payload.pull_request.base.repo.full_name = "acme/shop";
    if (action === "synchronize") payload.after = headSha;
    Object.assign(payload.pull_request, extra);
    return payload;
  }

  /** Delivers a signed webhook through the route, then runs its delivery job; returns the delivery row. */
  async function deliver(event: string, payload: unknown, id = randomUUID()) {
    const body = JSON.stringify(payload);
    const response = await POST(
      new Request("http://localhost/api/v1/hooks/github", {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-delivery": id, "x-github-event": event, "x-hub-signature-256": signGithubPayload(body, SECRET) },
        body,
      }),
      { params: Promise.resolve({}) },
    );
    expect([200, 202]).toContain(response.status);
    const row = await t.db.codeHostDelivery.findUniqueOrThrow({ where: { host_deliveryId: { host: "github", deliveryId: id } } });
    await handleCodeHostDelivery(deps, { deliveryId: row.id }, { attempt: 1, maxAttempts: 5 });
    return t.db.codeHostDelivery.findUniqueOrThrow({ where: { id: row.id } });
  }

  async function publishAll(runId: string) {
    const pending = await t.db.codeHostPublication.findMany({ where: { runId, status: "pending" }, distinct: ["kind", "name"], select: { kind: true, name: true } });
    for (const p of pending) await publishPending(t.db, resolveHost, { runId, kind: p.kind as "check" | "comment", name: p.name }, quiet);
  }
  const checksOn = (sha: string) => Object.fromEntries(fake.checkRuns("acme/shop").filter((c) => c.head_sha === sha).map((c) => [c.name, c]));
  const runOf = (number: number, headSha: string) => t.db.pipelineRun.findFirstOrThrow({ where: { headSha, pullRequest: { number } }, include: { diff: true, pullRequest: true } });

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    process.env.DATABASE_URL = t.url;
    process.env.NEXTAUTH_SECRET ??= "github-flow-test-secret-0123456789abcdef";
    process.env.GITHUB_WEBHOOK_SECRET = SECRET;
    POST = (await import("@/app/api/v1/hooks/github/route")).POST as Handler;

    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-gh-flow-"));
    work = path.join(scratch, "work");
    fs.mkdirSync(path.join(scratch, "upstream", "acme"), { recursive: true });
    sh(scratch, "init", "-q", "--bare", path.join(scratch, "upstream", "acme", "shop.git"));
    sh(scratch, "init", "-q", "-b", "main", work);
    fs.writeFileSync(path.join(work, "README.md"), "# shop\n");
    sh(work, "add", "-A");
    sh(work, "commit", "-q", "-m", "initial");
    sh(work, "push", "-q", path.join(scratch, "upstream", "acme", "shop.git"), "main");
    base.sha = sh(work, "rev-parse", "HEAD");

    fake = await startFakeGitHubApi({ appId: APP_ID, publicKey: keys.publicKey, installations: { [String(INSTALLATION)]: ["acme/shop"] } });
    // The git server accepts exactly the installation tokens the fake GitHub issued and has not revoked.
    git = await startGitHttpServer({ projectRoot: path.join(scratch, "upstream"), tokens: [], accepts: (token) => fake.tokens.some((issued) => issued.token === token && !issued.revoked) });
    const host = createGitHubHost({ appId: APP_ID, privateKey: keys.privateKey, baseUrl: fake.url, gitBaseUrl: git.url, limits: { rateLimitRetries: 0, serverErrorRetries: 0 } });
    resolveHost = (repository) =>
      repository.kind === "github" && repository.hostInstallationId ? { host, repository: { host: "github", fullName: repository.location, installationId: repository.hostInstallationId } } : null;
    deps = { db: t.db, log: quiet, dataDir: path.join(scratch, "data"), resolveHost };
  });
  afterAll(async () => {
    await git?.close();
    await fake?.close();
    await t?.drop();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("registers the installation's repositories", async () => {
    const payload = example("installation", "created");
    payload.installation.id = INSTALLATION;
    payload.repositories = [{ id: 1, node_id: "x", name: "shop", full_name: "acme/shop", private: true }];
    const row = await deliver("installation", payload);
    expect(row).toMatchObject({ status: "processed", payload: null });
    expect(await t.db.repository.findUniqueOrThrow({ where: { name: "acme/shop" } })).toMatchObject({ kind: "github", location: "acme/shop", hostInstallationId: String(INSTALLATION), hostRemovedAt: null });
  });

  it("turns an opened pull request into a run of its head, fetched with an installation token that is written nowhere", async () => {
    const headSha = pushHead(7, "src/reports.ts", "export function run(expression: string) {\n  return eval(expression);\n}\n");
    fake.addPullRequest("acme/shop", { number: 7, headSha, createdAt: "2026-12-01T09:00:00Z", commits: [{ sha: headSha, authorDate: "2026-11-30T17:00:00Z", committerDate: "2026-11-30T17:05:00Z" }] });
    const id = randomUUID();
    const row = await deliver("pull_request", pullRequestPayload("opened", 7, headSha), id);
    expect(row.status).toBe("processed");
    expect(row.outcome).toMatch(/^started run c[0-9a-z]+ for #7/);
    // A redelivery of the same id changes nothing.
    await deliver("pull_request", pullRequestPayload("opened", 7, headSha), id);
    expect(await t.db.pipelineRun.count({ where: { pullRequest: { number: 7 } } })).toBe(1);

    const run = await runOf(7, headSha);
    expect(run.diff?.text).toContain("+++ b/src/reports.ts");
    // Lead time from the host's clock: opened and first commit as GitHub has them.
    expect(run.pullRequest).toMatchObject({ author: "dana", openedAt: new Date("2026-12-01T09:00:00Z"), firstCommitAt: new Date("2026-11-30T17:00:00Z") });
    const tokens = fake.tokens.map((issued) => issued.token);
    expect(tokens.length).toBeGreaterThan(0);
    for (const file of fs.readdirSync(deps.dataDir, { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      const text = fs.readFileSync(path.join(file.parentPath, file.name)).toString("latin1");
      for (const token of tokens) {
        expect(text.includes(token), `${file.name} holds a token`).toBe(false);
        expect(text.includes(Buffer.from(`x-access-token:${token}`).toString("base64")), `${file.name} holds a token`).toBe(false);
      }
    }
    const audit = JSON.stringify(await t.db.auditEvent.findMany({ select: { content: true } }));
    for (const token of tokens) expect(audit).not.toContain(token);
  });

  it("shows the review on the pull request, and a person's decision in Flowgate flips the gate on that commit", async () => {
    const headSha = (await t.db.pipelineRun.findFirstOrThrow({ where: { pullRequest: { number: 7 } } })).headSha;
    const run = await runOf(7, headSha);
    await runStageJob({ db: t.db, log: quiet, agents: stageAgents({ review: createReviewAgent(null) }) }, { runId: run.id, stage: "review", attempt: 1 });
    await publishAll(run.id);
    const checks = checksOn(headSha);
    expect(checks[GATE_CHECK]).toMatchObject({ status: "completed", conclusion: "action_required" });
    expect(checks["flowgate/review"]).toMatchObject({ conclusion: "action_required", output: expect.objectContaining({ annotations_count: expect.any(Number) }) });
    expect(checks["flowgate/review"].output.annotations_count).toBeGreaterThan(0);
    expect(fake.comments("acme/shop", 7)).toHaveLength(1);

    const user = await createUser(t.db, { input: { email: "rita@example.com", role: "reviewer", password: "a-long-password" }, actor: { type: "system", id: "test", label: "test" } });
    const reviewer: Actor = { via: "session", user: { id: user.id, email: user.email, name: user.email, role: "reviewer" } };
    const escalation = await t.db.escalation.findFirstOrThrow({ where: { runId: run.id } });
    await decideEscalation(t.db, { escalationId: escalation.id, actor: reviewer, input: { decision: "approve", rationale: "The expression comes from our own report definitions." } });
    await publishAll(run.id);
    const after = checksOn(headSha);
    expect(after[GATE_CHECK]).toMatchObject({ status: "in_progress", output: expect.objectContaining({ title: "Approved by rita@example.com; the pipeline continues" }) });
    expect(after["flowgate/review"]).toMatchObject({ conclusion: "success" });
    expect(fake.comments("acme/shop", 7)).toHaveLength(1);
    expect(fake.comments("acme/shop", 7)[0].body).toContain("approved by rita@example.com");
  });

  it("supersedes the run when commits are pushed, and ends it when the pull request closes unmerged", async () => {
    const first = (await t.db.pipelineRun.findFirstOrThrow({ where: { pullRequest: { number: 7 } } })).id;
    const newer = pushHead(7, "src/reports.ts", "export function run(expression: string) {\n  return expression.length;\n}\n");
    const row = await deliver("pull_request", pullRequestPayload("synchronize", 7, newer));
    expect(row.outcome).toContain(`superseded ${first}`);
    const superseded = await t.db.pipelineRun.findUniqueOrThrow({ where: { id: first } });
    expect(superseded).toMatchObject({ status: "superseded" });
    // The old head's gate is no longer live: it says so on that commit.
    await publishAll(first);
    expect(checksOn(superseded.headSha)[GATE_CHECK]).toMatchObject({ status: "completed", conclusion: "cancelled" });

    const closed = await deliver("pull_request", pullRequestPayload("closed", 7, newer, { state: "closed", closed_at: "2026-12-02T10:00:00Z" }));
    expect(closed.outcome).toBe("#7 closed without merging; 1 active run ended");
    const cancelled = await runOf(7, newer);
    expect(cancelled).toMatchObject({ status: "cancelled", supersededBy: null });
    await publishAll(cancelled.id);
    expect(checksOn(newer)[GATE_CHECK]).toMatchObject({ conclusion: "cancelled", output: expect.objectContaining({ title: "Cancelled: the pull request was closed" }) });
  });

  it("records the merge time of a merged pull request, and skips drafts", async () => {
    const headSha = pushHead(8, "docs/notes.md", "notes\n");
    fake.addPullRequest("acme/shop", { number: 8, headSha, createdAt: "2026-12-02T09:00:00Z", commits: [] });
    const draft = await deliver("pull_request", pullRequestPayload("opened", 8, headSha, { draft: true }));
    expect(draft).toMatchObject({ status: "ignored", outcome: "#8 is a draft: no run until it is ready for review" });
    expect(await t.db.pipelineRun.count({ where: { pullRequest: { number: 8 } } })).toBe(0);

    await deliver("pull_request", pullRequestPayload("ready_for_review", 8, headSha));
    const merged = await deliver("pull_request", pullRequestPayload("closed", 8, headSha, { state: "closed", merged: true, merged_at: "2026-12-03T12:00:00Z", closed_at: "2026-12-03T12:00:00Z", merge_commit_sha: "f".repeat(40) }));
    expect(merged.outcome).toBe("#8 merged at 2026-12-03T12:00:00.000Z");
    expect((await runOf(8, headSha)).pullRequest.mergedAt).toEqual(new Date("2026-12-03T12:00:00Z"));
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });
});
