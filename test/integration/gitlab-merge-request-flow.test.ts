import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStageJob } from "@/agents/engine/run-stage-job";
import type { StageAgent } from "@/agents/engine/stage-agent";
import { createReviewAgent } from "@/agents/review/review-agent";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import type { Actor } from "@/lib/auth/actor";
import { createGitLabHost } from "@/lib/code-host/gitlab/gitlab-host";
import { handleCodeHostDelivery, type DeliveryDeps } from "@/lib/code-host/intake/handle-delivery";
import { publishPending, type HostResolver } from "@/lib/code-host/publish/publish";
import { GATE_CHECK } from "@/lib/code-host/publish/stage-checks";
import { decideEscalation } from "@/lib/escalations/decide-escalation";
import { log } from "@/lib/log";
import type { Stage } from "@/lib/pipeline/stages";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { createUser } from "@/lib/users/create-user";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { codeHostPipeline, driveRun } from "../support/drive-run";
import { startFakeGitLab, type FakeGitLab } from "../support/fake-gitlab";
import { startGitHttpServer, type GitHttpServer } from "../support/git-http-server";
import { mergeRequestHook } from "../support/gitlab-webhook-examples";
import { stageAgents } from "../support/stage-agents";

// A merge request on (fake) GitLab, end to end without a browser: a webhook with the secret token
// through the real route, the delivery job fetching refs/merge-requests/<iid>/head over git's smart
// HTTP as oauth2:<token>, the run and its review, commit statuses and the sticky note through the
// real gitbeaker client, a person's decision flipping the gate, a push superseding the run, closing,
// drafts, and a merge.

type Handler = (req: Request, segment: { params: Promise<Record<string, string>> }) => Promise<Response>;
const HOOK_TOKEN = "gitlab-flow-hook-token-0123456789";
const API_TOKEN = "glpat-flow-api-token-0123456789abcdef";
const PROJECT = "acme/platform/shop";
const PROJECT_ID = 42;
const quiet = log.child({ test: "gitlab-merge-request-flow" });

const sh = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "dev", GIT_AUTHOR_EMAIL: "dev@example.com", GIT_COMMITTER_NAME: "dev", GIT_COMMITTER_EMAIL: "dev@example.com" } }).trim();

describe("a GitLab merge request through Flowgate", () => {
  let t: TestDatabase;
  let fake: FakeGitLab;
  let git: GitHttpServer;
  let POST: Handler;
  let scratch: string;
  let work: string;
  let deps: DeliveryDeps;
  let resolveHost: HostResolver;
  const upstream = () => path.join(scratch, "upstream", `${PROJECT}.git`);

  /** A commit on the merge request's head ref upstream (refs/merge-requests/<iid>/head), returning its SHA. */
  function pushHead(iid: number, file: string, content: string) {
    sh(work, "checkout", "-q", "-B", `mr-${iid}`, "main");
    fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
    fs.writeFileSync(path.join(work, file), content);
    sh(work, "add", "-A");
    sh(work, "commit", "-q", "-m", `change for !${iid}`);
    sh(work, "push", "-q", "-f", upstream(), `HEAD:refs/merge-requests/${iid}/head`);
    return sh(work, "rev-parse", "HEAD");
  }

  const hook = (variant: Parameters<typeof mergeRequestHook>[0]) => {
    const payload = mergeRequestHook({ projectPath: PROJECT, projectId: PROJECT_ID, ...variant }) as any;
    payload.object_attributes.target_branch = "main";
    payload.object_attributes.title = `Reports !${variant.iid}`;
    payload.user.username = "dana";
    return payload;
  };

  /** Delivers a webhook through the route, then runs its delivery job; returns the delivery row. */
  async function deliver(payload: unknown, uuid = randomUUID()) {
    const response = await POST(
      new Request("http://localhost/api/v1/hooks/gitlab", {
        method: "POST",
        headers: { "content-type": "application/json", "x-gitlab-event": "Merge Request Hook", "x-gitlab-event-uuid": uuid, "x-gitlab-token": HOOK_TOKEN },
        body: JSON.stringify(payload),
      }),
      { params: Promise.resolve({}) },
    );
    expect([200, 202]).toContain(response.status);
    const row = await t.db.codeHostDelivery.findUniqueOrThrow({ where: { host_deliveryId: { host: "gitlab", deliveryId: uuid } } });
    await handleCodeHostDelivery(deps, { deliveryId: row.id }, { attempt: 1, maxAttempts: 5 });
    return t.db.codeHostDelivery.findUniqueOrThrow({ where: { id: row.id } });
  }

  async function publishAll(runId: string) {
    const pending = await t.db.codeHostPublication.findMany({ where: { runId, status: "pending" }, distinct: ["kind", "name"], select: { kind: true, name: true } });
    for (const p of pending) await publishPending(t.db, resolveHost, { runId, kind: p.kind as "check" | "comment", name: p.name }, quiet);
  }
  /** The latest status of each name on a commit, as GitLab shows them. */
  const statusesOn = (sha: string) => {
    const latest: Record<string, { status: string; description: string | null; target_url: string | null }> = {};
    for (const s of [...fake.project(PROJECT).statuses].sort((a, b) => a.id - b.id)) if (s.sha === sha) latest[s.name] = s;
    return latest;
  };
  const notes = (iid: number) => fake.project(PROJECT).notes.get(iid) ?? [];
  const runOf = (iid: number, headSha: string) => t.db.pipelineRun.findFirstOrThrow({ where: { headSha, pullRequest: { number: iid } }, include: { diff: true, pullRequest: true } });

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    process.env.DATABASE_URL = t.url;
    process.env.NEXTAUTH_SECRET ??= "gitlab-flow-test-secret-0123456789abcdef";
    process.env.GITLAB_WEBHOOK_TOKEN = HOOK_TOKEN;
    POST = (await import("@/app/api/v1/hooks/gitlab/route")).POST as Handler;

    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-gl-flow-"));
    work = path.join(scratch, "work");
    fs.mkdirSync(path.dirname(upstream()), { recursive: true });
    sh(scratch, "init", "-q", "--bare", upstream());
    sh(scratch, "init", "-q", "-b", "main", work);
    fs.writeFileSync(path.join(work, "README.md"), "# shop\n");
    sh(work, "add", "-A");
    sh(work, "commit", "-q", "-m", "initial");
    sh(work, "push", "-q", upstream(), "main");

    fake = await startFakeGitLab({ token: API_TOKEN, gitDirs: { [PROJECT]: upstream() } });
    fake.addProject(PROJECT, PROJECT_ID);
    // The git server accepts the access token as GitLab does over HTTPS: Basic oauth2:<token>.
    git = await startGitHttpServer({ projectRoot: path.join(scratch, "upstream"), tokens: [], accepts: (token) => token === API_TOKEN });
    const host = createGitLabHost({ url: fake.url, gitUrl: git.url, token: API_TOKEN, limits: { rateLimitRetries: 0, serverErrorRetries: 0 } });
    resolveHost = (repository) =>
      repository.kind === "gitlab" && repository.hostInstallationId ? { host, repository: { host: "gitlab", fullName: repository.location, installationId: repository.hostInstallationId } } : null;
    deps = { db: t.db, log: quiet, dataDir: path.join(scratch, "data"), resolveHost };
    // The stages read code-host repositories from the caches under the data directory.
    process.env.FLOWGATE_DATA_DIR = deps.dataDir;
  });
  afterAll(async () => {
    await git?.close();
    await fake?.close();
    await t?.drop();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("turns an opened merge request into a run of its head, fetched with the token written nowhere", async () => {
    const headSha = pushHead(7, "src/reports.ts", "export function run(expression: string) {\n  return eval(expression);\n}\n");
    fake.addMergeRequest(PROJECT, { iid: 7, headSha, createdAt: "2026-12-01T09:00:00Z", commits: [{ sha: headSha, authoredDate: "2026-11-30T17:00:00Z", committedDate: "2026-11-30T17:05:00Z" }] });
    const uuid = randomUUID();
    const row = await deliver(hook({ action: "open", iid: 7, headSha }), uuid);
    expect(row.status).toBe("processed");
    expect(row.outcome).toMatch(/^started run c[0-9a-z]+ for #7/);
    await deliver(hook({ action: "open", iid: 7, headSha }), uuid);
    expect(await t.db.pipelineRun.count({ where: { pullRequest: { number: 7 } } })).toBe(1);
    expect(await t.db.repository.findUniqueOrThrow({ where: { name: PROJECT } })).toMatchObject({ kind: "gitlab", location: PROJECT, hostInstallationId: String(PROJECT_ID) });

    const run = await runOf(7, headSha);
    expect(run.diff?.text).toContain("+++ b/src/reports.ts");
    expect(run.pullRequest).toMatchObject({ author: "dana", openedAt: new Date("2026-12-01T09:00:00Z"), firstCommitAt: new Date("2026-11-30T17:00:00Z") });
    expect(git.requests.some((r) => r.token === API_TOKEN && r.status === 200)).toBe(true);
    for (const file of fs.readdirSync(deps.dataDir, { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      const text = fs.readFileSync(path.join(file.parentPath, file.name)).toString("latin1");
      expect(text.includes(API_TOKEN), `${file.name} holds the token`).toBe(false);
      expect(text.includes(Buffer.from(`oauth2:${API_TOKEN}`).toString("base64")), `${file.name} holds the token`).toBe(false);
    }
    expect(JSON.stringify(await t.db.auditEvent.findMany({ select: { content: true } }))).not.toContain(API_TOKEN);
  });

  it("shows the review as commit statuses and one note; a person's decision flips the gate", async () => {
    const headSha = (await t.db.pipelineRun.findFirstOrThrow({ where: { pullRequest: { number: 7 } } })).headSha;
    const run = await runOf(7, headSha);
    await runStageJob({ db: t.db, log: quiet, agents: stageAgents({ review: createReviewAgent(null) }) }, { runId: run.id, stage: "review", attempt: 1 });
    await publishAll(run.id);
    const statuses = statusesOn(headSha);
    // GitLab has no "action required": pending, waiting for a person, keeps the merge blocked.
    expect(statuses[GATE_CHECK]).toMatchObject({ status: "pending", description: expect.stringMatching(/^Waiting for a person: /) });
    expect(statuses["flowgate/review"]).toMatchObject({ status: "pending" });
    expect(notes(7)).toHaveLength(1);

    const user = await createUser(t.db, { input: { email: "rita@example.com", role: "reviewer", password: "a-long-password" }, actor: { type: "system", id: "test", label: "test" } });
    const reviewer: Actor = { via: "session", user: { id: user.id, email: user.email, name: user.email, role: "reviewer" } };
    const escalation = await t.db.escalation.findFirstOrThrow({ where: { runId: run.id } });
    await decideEscalation(t.db, { escalationId: escalation.id, actor: reviewer, input: { decision: "approve", rationale: "The expression comes from our own report definitions." } });
    await publishAll(run.id);
    const after = statusesOn(headSha);
    expect(after[GATE_CHECK]).toMatchObject({ status: "running", description: "Approved by rita@example.com; the pipeline continues" });
    expect(after["flowgate/review"]).toMatchObject({ status: "success" });
    expect(notes(7)).toHaveLength(1);
    expect(notes(7)[0].body).toContain("approved by rita@example.com");
  });

  it("supersedes the run when commits are pushed, and ends it when the merge request closes", async () => {
    const first = await t.db.pipelineRun.findFirstOrThrow({ where: { pullRequest: { number: 7 } } });
    const newer = pushHead(7, "src/reports.ts", "export function run(expression: string) {\n  return expression.length;\n}\n");
    const row = await deliver(hook({ action: "update", iid: 7, headSha: newer, oldrev: first.headSha }));
    expect(row.outcome).toContain(`superseded ${first.id}`);
    expect(await t.db.pipelineRun.findUniqueOrThrow({ where: { id: first.id } })).toMatchObject({ status: "superseded" });

    const closed = await deliver(hook({ action: "close", iid: 7, headSha: newer, updatedAt: "2026-12-02T10:00:00Z" }));
    expect(closed.outcome).toBe("#7 closed without merging; 1 active run ended");
  });

  it("skips a draft until it is marked ready, and records the merge time", async () => {
    const headSha = pushHead(8, "docs/notes.md", "notes\n");
    fake.addMergeRequest(PROJECT, { iid: 8, headSha, createdAt: "2026-12-02T09:00:00Z" });
    const draft = await deliver(hook({ action: "open", iid: 8, headSha, draft: true }));
    expect(draft).toMatchObject({ status: "ignored", outcome: "#8 is a draft: no run until it is ready for review" });
    expect(await t.db.pipelineRun.count({ where: { pullRequest: { number: 8 } } })).toBe(0);

    const ready = await deliver(hook({ action: "update", iid: 8, headSha, changes: { draft: { previous: true, current: false } } }));
    expect(ready.outcome).toMatch(/^started run/);
    const merged = await deliver(hook({ action: "merge", iid: 8, headSha, updatedAt: "2026-12-03T12:00:00Z" }));
    expect(merged.outcome).toBe("#8 merged at 2026-12-03T12:00:00.000Z");
    expect((await runOf(8, headSha)).pullRequest.mergedAt).toEqual(new Date("2026-12-03T12:00:00Z"));
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  describe("deploy-then-merge", () => {
    let agents: Record<Stage, StageAgent>;
    /** A commit on main upstream: the target branch moving on. */
    function pushBase(file: string, content: string) {
      sh(work, "checkout", "-q", "main");
      fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
      fs.writeFileSync(path.join(work, file), content);
      sh(work, "add", "-A");
      sh(work, "commit", "-q", "-m", `change ${file}`);
      sh(work, "push", "-q", upstream(), "HEAD:refs/heads/main");
      return sh(work, "rev-parse", "HEAD");
    }
    async function open(iid: number, file: string, content: string) {
      const headSha = pushHead(iid, file, content);
      fake.addMergeRequest(PROJECT, { iid, headSha, createdAt: "2026-12-04T09:00:00Z" });
      await deliver(hook({ action: "open", iid, headSha }));
      return runOf(iid, headSha);
    }
    async function drive(runId: string) {
      await driveRun(t.db, { runId, agents, log: quiet });
      await publishAll(runId);
      return t.db.pipelineRun.findUniqueOrThrow({ where: { id: runId }, include: { stageRuns: { orderBy: { queuedAt: "asc" } } } });
    }

    beforeAll(async () => {
      // A neutral performance profile on the target branch; a compressed canary clock.
      pushBase(".flowgate/performance-profile.json", "{}\n");
      agents = await codeHostPipeline(t.db, { repository: PROJECT, resolveHost });
    });

    it("deploys the merge request's head, promotes the canary and merges it", async () => {
      const run = await open(9, "docs/reports.md", "# Reports\n");
      const finished = await drive(run.id);
      expect(finished.status).toBe("done");
      expect(statusesOn(run.headSha)[GATE_CHECK]).toMatchObject({ status: "success" });
      const mr = fake.project(PROJECT).mergeRequests.get(9)!;
      expect(mr).toMatchObject({ state: "merged", squash: true });
      expect(fake.requests.find((r) => r.method === "PUT" && r.path.endsWith("/merge_requests/9/merge"))?.body).toMatchObject({ sha: run.headSha, squash: true });
      expect((await runOf(9, run.headSha)).pullRequest.mergedAt).not.toBeNull();
    });

    it("does not deploy a head behind its target branch: GitLab is asked to rebase it and the run is cancelled", async () => {
      const run = await open(10, "docs/limits.md", "# Limits\n");
      pushBase("docs/changelog.md", "- faster reports\n");
      const finished = await drive(run.id);
      expect(finished.status).toBe("cancelled");
      expect(finished.stageRuns.at(-1)?.summary).toMatch(/^The base branch main has 1 commit this head does not contain: the branch is being brought up to date/);
      expect(fake.rebases(PROJECT)).toEqual([10]);
      expect(statusesOn(run.headSha)[GATE_CHECK]).toMatchObject({ status: "canceled" });
      expect(fake.project(PROJECT).mergeRequests.get(10)!.state).toBe("opened");
      expect((await verifyAuditChain(t.db)).ok).toBe(true);
    });
  });
});
