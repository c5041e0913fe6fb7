import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStageJob } from "@/agents/engine/run-stage-job";
import { measuredDecision, type StageAgent } from "@/agents/engine/stage-agent";
import { UNRECORDABLE_MAX_ATTEMPTS } from "@/agents/engine/unrecordable-outcome";
import { isTransientDatabaseError } from "@/lib/db/transient-error";
import { payloadOf } from "@/lib/audit/chain/event-payload";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import { log } from "@/lib/log";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { submitRun } from "@/lib/runs/submit-run";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { cleanDiff } from "../support/diffs";
import { stageAgents } from "../support/stage-agents";

const actor = { type: "system", id: "test", label: "test" } as const;
const quiet = log.child({ test: "unrecordable-outcome" });

/**
 * Issue #19's poison pill: a review whose decision carries a token count PostgreSQL's integer
 * column refuses (22003, out of range). Before the fix the job threw on every queue attempt and
 * graphile-worker retried it for hours (10 attempts, e^n seconds apart) with the run "running".
 */
const refusedValueAgent: StageAgent = {
  stage: "review",
  async run() {
    const outcome = { kind: "pass" as const, summary: "looks fine" };
    const decision = { ...measuredDecision({ agent: "review", agentVersion: "t", provider: "test", inputParts: ["x"], outcome, output: {}, rationale: "fine" }), inputTokens: 2 ** 40 };
    return { outcome, decision, stageOutput: {} };
  },
};

describe("a stage outcome the database refuses (poison pill)", () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    await t.db.repository.create({ data: { name: "demo", kind: "local", location: "/nonexistent" } });
  });
  afterAll(async () => t?.drop());

  it(`is retried by the queue ${UNRECORDABLE_MAX_ATTEMPTS} times at most, then escalates the run with the error`, async () => {
    const { run } = await submitRun(t.db, {
      actor,
      input: { repository: "demo", prNumber: 1, title: "t", author: "a@example.com", baseSha: "a".repeat(40), headSha: "b".repeat(40), diff: cleanDiff },
    });
    const job = { runId: run.id, stage: "review" as const, attempt: 1 };
    const deps = { db: t.db, log: quiet, agents: stageAgents({ review: refusedValueAgent }) };

    for (let queueAttempt = 1; queueAttempt < UNRECORDABLE_MAX_ATTEMPTS; queueAttempt++) {
      const failure = await runStageJob(deps, job, { attempt: queueAttempt }).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(Error);
      expect(isTransientDatabaseError(failure)).toBe(false);
      expect((await t.db.pipelineRun.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("running");
    }
    await runStageJob(deps, job, { attempt: UNRECORDABLE_MAX_ATTEMPTS });

    const after = await t.db.pipelineRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(after).toMatchObject({ status: "escalated", currentStage: "review" });
    const attempts = await t.db.stageRun.findMany({ where: { runId: run.id } });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ stage: "review", attempt: 1, status: "error" });
    expect(attempts[0].error).toMatch(/could not be recorded \(3 attempts; the database refused it\): \[22003\].*out of range/);
    // Nothing of the refused result was stored: no decision.
    expect(await t.db.agentDecision.count({ where: { runId: run.id } })).toBe(0);
    const escalation = await t.db.escalation.findFirstOrThrow({ where: { runId: run.id } });
    expect(escalation).toMatchObject({ status: "open", stage: "review" });
    expect(JSON.stringify(escalation.contextPackage)).toMatch(/could not be recorded/);
    const events = await t.db.auditEvent.findMany({ where: { runId: run.id }, orderBy: { sequence: "asc" } });
    const errored = events.filter((e) => e.action === "stage.errored");
    expect(errored).toHaveLength(1);
    expect((payloadOf(errored[0].content) as { error: string }).error).toMatch(/22003/);
    expect(events.map((e) => e.action)).toContain("run.escalated");
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  it("leaves a lost connection to the queue's own retries (never escalates for it)", () => {
    expect(isTransientDatabaseError(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }))).toBe(true);
    expect(isTransientDatabaseError(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isTransientDatabaseError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isTransientDatabaseError(Object.assign(new Error("value out of range"), { code: "22003" }))).toBe(false);
  });
});
