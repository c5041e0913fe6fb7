import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStageJob } from "@/agents/engine/run-stage-job";
import { createReviewAgent } from "@/agents/review/review-agent";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import type { Actor } from "@/lib/auth/actor";
import { GATE_CHECK } from "@/lib/code-host/publish/stage-checks";
import { decideEscalation } from "@/lib/escalations/decide-escalation";
import { log } from "@/lib/log";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { createUser } from "@/lib/users/create-user";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { FLOW_INSTALLATION as INSTALLATION, githubExample as example, startGitHubFlow, type GitHubFlow } from "../support/github-flow";
import { stageAgents } from "../support/stage-agents";

// A pull request on (fake) GitHub, end to end without a browser: a signed webhook through the real
// route, the delivery job fetching the head over git's smart HTTP with an installation token, the
// run and its review, the checks and the sticky comment published through the real Octokit, a
// person's decision flipping the gate, a push superseding the run, and closing the pull request.

const quiet = log.child({ test: "github-pull-request-flow" });

describe("a GitHub pull request through Flowgate", () => {
  let t: TestDatabase;
  let flow: GitHubFlow;
  const pushHead = (number: number, file: string, content: string) => flow.pushHead(number, file, content);
  const pullRequestPayload = (action: string, number: number, headSha: string, extra: Record<string, unknown> = {}) => flow.pullRequestPayload(action, number, headSha, extra);
  const deliver = (event: string, payload: unknown, id?: string) => flow.deliver(event, payload, id);
  const publishAll = (runId: string) => flow.publishAll(runId);
  const checksOn = (sha: string) => flow.checksOn(sha);
  const runOf = (number: number, headSha: string) => t.db.pipelineRun.findFirstOrThrow({ where: { headSha, pullRequest: { number } }, include: { diff: true, pullRequest: true } });

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    process.env.DATABASE_URL = t.url;
    process.env.NEXTAUTH_SECRET ??= "github-flow-test-secret-0123456789abcdef";
    flow = await startGitHubFlow(t.db, { name: "github-pull-request-flow" });
  });
  afterAll(async () => {
    await flow?.close();
    await t?.drop();
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
    flow.fake.addPullRequest("acme/shop", { number: 7, headSha, createdAt: "2026-12-01T09:00:00Z", commits: [{ sha: headSha, authorDate: "2026-11-30T17:00:00Z", committerDate: "2026-11-30T17:05:00Z" }] });
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
    const tokens = flow.fake.tokens.map((issued) => issued.token);
    expect(tokens.length).toBeGreaterThan(0);
    for (const file of fs.readdirSync(flow.deps.dataDir, { recursive: true, withFileTypes: true })) {
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
    expect(flow.fake.comments("acme/shop", 7)).toHaveLength(1);

    const user = await createUser(t.db, { input: { email: "rita@example.com", role: "reviewer", password: "a-long-password" }, actor: { type: "system", id: "test", label: "test" } });
    const reviewer: Actor = { via: "session", user: { id: user.id, email: user.email, name: user.email, role: "reviewer" } };
    const escalation = await t.db.escalation.findFirstOrThrow({ where: { runId: run.id } });
    await decideEscalation(t.db, { escalationId: escalation.id, actor: reviewer, input: { decision: "approve", rationale: "The expression comes from our own report definitions." } });
    await publishAll(run.id);
    const after = checksOn(headSha);
    expect(after[GATE_CHECK]).toMatchObject({ status: "in_progress", output: expect.objectContaining({ title: "Approved by rita@example.com; the pipeline continues" }) });
    expect(after["flowgate/review"]).toMatchObject({ conclusion: "success" });
    expect(flow.fake.comments("acme/shop", 7)).toHaveLength(1);
    expect(flow.fake.comments("acme/shop", 7)[0].body).toContain("approved by rita@example.com");
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
    flow.fake.addPullRequest("acme/shop", { number: 8, headSha, createdAt: "2026-12-02T09:00:00Z", commits: [] });
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
