import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStageJob } from "@/agents/engine/run-stage-job";
import { measuredDecision, type StageAgent } from "@/agents/engine/stage-agent";
import { createReviewAgent } from "@/agents/review/review-agent";
import type { Actor } from "@/lib/auth/actor";
import { escapeMarkdown } from "@/lib/code-host/publish/markdown";
import { GATE_CHECK } from "@/lib/code-host/publish/stage-checks";
import { decideEscalation } from "@/lib/escalations/decide-escalation";
import { log } from "@/lib/log";
import type { Stage } from "@/lib/pipeline/stages";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { updateRepositorySettings } from "@/lib/repositories/update-repository-settings";
import { submitRun } from "@/lib/runs/submit-run";
import { createUser } from "@/lib/users/create-user";
import { evalDiff } from "../support/diffs";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { stageAgents } from "../support/stage-agents";

const system = { type: "system", id: "test", label: "test" } as const;
const quiet = log.child({ test: "code-host-outbox" });

const cleanDiff = `diff --git a/docs/notes.md b/docs/notes.md
new file mode 100644
--- /dev/null
+++ b/docs/notes.md
@@ -0,0 +1 @@
+Release notes.
`;

describe("the code host's outbox: what a pull request shows, queued with the outcome it reports", () => {
  let t: TestDatabase;
  let pr = 1;

  async function reviewed(repository: string, diff: string) {
    const { run } = await submitRun(t.db, {
      actor: system,
      input: { repository, prNumber: pr++, title: "Change", author: "dev@example.com", baseSha: "a".repeat(40), headSha: `${pr}`.padStart(40, "c"), diff },
    });
    const job = { runId: run.id, stage: "review" as const, attempt: 1 };
    await runStageJob({ db: t.db, log: quiet, agents: stageAgents({ review: createReviewAgent(null) }) }, job);
    return { runId: run.id, job };
  }
  const publications = (runId: string) =>
    t.db.codeHostPublication.findMany({ where: { runId }, orderBy: [{ createdAt: "asc" }, { name: "asc" }], select: { kind: true, name: true, headSha: true, status: true, payload: true } });
  const publishJobs = async (runId: string) =>
    (await t.sql<{ key: string }>(`SELECT key FROM graphile_worker.jobs WHERE key LIKE $1 ORDER BY key`, [`publish:${runId}:%`])).map((j) => j.key);

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    await t.db.repository.create({ data: { name: "octo/shop", kind: "github", location: "octo/shop", hostInstallationId: "42" } });
    await t.db.repository.create({ data: { name: "local-shop", kind: "remote", location: "https://git.example/shop.git" } });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("queues the stage's check, the next stage's and the gate, each with one keyed publish job", async () => {
    const { runId } = await reviewed("octo/shop", cleanDiff);
    const rows = await publications(runId);
    expect(rows.map((r) => [r.name, (r.payload as { status: string }).status, (r.payload as { conclusion?: string }).conclusion ?? null, r.status])).toEqual(
      expect.arrayContaining([
        ["flowgate/review", "completed", "success", "pending"],
        ["flowgate/test", "queued", null, "pending"],
        [GATE_CHECK, "in_progress", null, "pending"],
      ]),
    );
    expect(rows.filter((r) => r.kind === "check")).toHaveLength(3);
    const comment = rows.find((r) => r.kind === "comment")!.payload as { body: string };
    expect(comment.body).toContain("<!-- flowgate:sticky -->");
    expect(comment.body).toContain("**Review: passed**");
    expect(new Set(rows.map((r) => r.headSha))).toEqual(new Set(["2".padStart(40, "c")]));
    expect(await publishJobs(runId)).toEqual([
      `publish:${runId}:check:${GATE_CHECK}`,
      `publish:${runId}:check:flowgate/review`,
      `publish:${runId}:check:flowgate/test`,
      `publish:${runId}:comment:sticky`,
    ]);
  });

  it("turns an escalation into action_required, linking the inbox item, with the findings as annotations", async () => {
    const { runId } = await reviewed("octo/shop", evalDiff);
    const escalation = await t.db.escalation.findFirstOrThrow({ where: { runId } });
    const rows = await publications(runId);
    const gate = rows.find((r) => r.name === GATE_CHECK)!.payload as { conclusion: string; detailsUrl: string };
    expect(gate).toMatchObject({ conclusion: "action_required", detailsUrl: expect.stringMatching(new RegExp(`/escalations/${escalation.id}$`)) });
    const review = rows.find((r) => r.name === "flowgate/review")!.payload as { conclusion: string; annotations: { path: string; startLine: number; level: string }[] };
    expect(review.conclusion).toBe("action_required");
    expect(review.annotations).toContainEqual(expect.objectContaining({ path: "src/reports.ts", startLine: 2 }));
    expect(rows.some((r) => r.name === "flowgate/test")).toBe(false);
  });

  it("maps a person's decision back: approve names who, when and the audit event's hash; reject fails the gate", async () => {
    const user = await createUser(t.db, { input: { email: "rev@example.com", role: "reviewer", password: "a-long-password" }, actor: system });
    const reviewer: Actor = { via: "session", user: { id: user.id, email: user.email, name: user.email, role: "reviewer" } };
    const rationale = "Read the eval call; it only runs trusted report expressions.";
    const gateOf = async (runId: string) => (await publications(runId)).filter((r) => r.name === GATE_CHECK).at(-1)!.payload as { status: string; conclusion?: string; title: string; summary: string };

    const approved = await reviewed("octo/shop", evalDiff);
    const first = await t.db.escalation.findFirstOrThrow({ where: { runId: approved.runId } });
    await decideEscalation(t.db, { escalationId: first.id, actor: reviewer, input: { decision: "approve", rationale } });
    const decided = await t.db.auditEvent.findFirstOrThrow({ where: { runId: approved.runId, action: "escalation.decided" } });
    const gate = await gateOf(approved.runId);
    expect(gate).toMatchObject({ status: "in_progress", title: "Approved by rev@example.com; the pipeline continues" });
    expect(gate.summary).toContain(`audit event ${decided.hash.slice(0, 12)}`);
    expect(gate.summary).toContain(escapeMarkdown(rationale));
    const review = (await publications(approved.runId)).filter((r) => r.name === "flowgate/review").at(-1)!.payload;
    expect(review).toMatchObject({ status: "completed", conclusion: "success" });

    const rejected = await reviewed("octo/shop", evalDiff);
    const second = await t.db.escalation.findFirstOrThrow({ where: { runId: rejected.runId } });
    await decideEscalation(t.db, { escalationId: second.id, actor: reviewer, input: { decision: "reject", rationale } });
    expect(await gateOf(rejected.runId)).toMatchObject({ status: "completed", conclusion: "failure", title: "Rejected by rev@example.com" });
    // Each decision touched only its own run's commit.
    const rejectedSha = (await publications(rejected.runId))[0].headSha;
    expect((await publications(approved.runId)).every((r) => r.headSha !== rejectedSha)).toBe(true);
  });

  it("queues the merge when the last stage passes (deploy-then-merge), and not for a gate-only repository", async () => {
    const passing = (stage: Stage): StageAgent => ({
      stage,
      run: async () => ({
        outcome: { kind: "pass", summary: `${stage} passed` },
        stageOutput: {},
        decision: measuredDecision({ agent: stage, agentVersion: "test-1", provider: "test", inputParts: [stage], outcome: { kind: "pass", summary: "" }, output: {}, rationale: "passes" }),
      }),
    });
    const agents = stageAgents({ review: createReviewAgent(null), test: passing("test"), staging: passing("staging"), validation: passing("validation"), deployment: passing("deployment") });
    const throughEveryStage = async (repository: string) => {
      const { runId } = await reviewed(repository, cleanDiff);
      for (const stage of ["test", "staging", "validation", "deployment"] as const) await runStageJob({ db: t.db, log: quiet, agents }, { runId, stage, attempt: 1 });
      expect(await t.db.pipelineRun.findUniqueOrThrow({ where: { id: runId } })).toMatchObject({ status: "done" });
      return runId;
    };

    const merged = await throughEveryStage("octo/shop");
    expect(await t.db.codeHostPublication.findFirst({ where: { runId: merged, kind: "merge" } })).toMatchObject({ name: "merge", payload: { method: "squash" }, status: "pending" });
    expect((await publications(merged)).find((r) => r.name === GATE_CHECK && (r.payload as { conclusion?: string }).conclusion === "success")).toBeDefined();

    const repository = await t.db.repository.findUniqueOrThrow({ where: { name: "octo/shop" } });
    await updateRepositorySettings(t.db, { repositoryId: repository.id, input: { merge: { mode: "gate_only", method: "merge" } }, actor: system });
    const gated = await throughEveryStage("octo/shop");
    expect(await t.db.codeHostPublication.count({ where: { runId: gated, kind: "merge" } })).toBe(0);
  });

  it("queues nothing twice: a retried job finds the attempt recorded", async () => {
    const { runId, job } = await reviewed("octo/shop", cleanDiff);
    const before = await publications(runId);
    await runStageJob({ db: t.db, log: quiet, agents: stageAgents({ review: createReviewAgent(null) }) }, job);
    expect(await publications(runId)).toEqual(before);
  });

  it("queues nothing for a repository that is not on a code host", async () => {
    const { runId } = await reviewed("local-shop", cleanDiff);
    expect(await publications(runId)).toEqual([]);
    expect(await publishJobs(runId)).toEqual([]);
  });
});
