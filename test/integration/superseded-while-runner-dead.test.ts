import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStageJob } from "@/agents/engine/run-stage-job";
import { sweepWorkspaces } from "@/agents/test/workspace";
import { log } from "@/lib/log";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { submitRun } from "@/lib/runs/submit-run";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { cleanDiff } from "../support/diffs";
import { stageAgents } from "../support/stage-agents";

const actor = { type: "system", id: "test", label: "test" } as const;
const quiet = log.child({ test: "superseded-while-runner-dead" });

/**
 * Found by the chaos soak (issue #19): a runner SIGKILLed mid-stage, then a new head supersedes
 * the run. The retried job skipped the attempt (the run had ended) and left it "running" for good,
 * so the workspace sweep kept its workspace forever.
 */
describe("a run superseded while the runner of its stage was dead", () => {
  let t: TestDatabase;
  let workspaceRoot: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    await t.db.repository.create({ data: { name: "demo", kind: "local", location: "/nonexistent" } });
    workspaceRoot = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-superseded-ws-"));
  });
  afterAll(async () => {
    await t?.drop();
    fs.rmSync(workspaceRoot, { recursive: true, force: true });
  });

  it("has its attempt cancelled by the retried job, and its workspace swept", async () => {
    const submit = (headSha: string) =>
      submitRun(t.db, { actor, input: { repository: "demo", prNumber: 7, title: "t", author: "a@example.com", baseSha: "a".repeat(40), headSha, diff: cleanDiff } });
    const { run } = await submit("b".repeat(40));
    // The runner had started the attempt and made its workspace when it was killed.
    await t.db.$transaction([
      t.db.pipelineRun.update({ where: { id: run.id }, data: { status: "running", currentStage: "review" } }),
      t.db.stageRun.update({ where: { runId_stage_attempt: { runId: run.id, stage: "review", attempt: 1 } }, data: { status: "running", startedAt: new Date() } }),
    ]);
    fs.mkdirSync(path.join(workspaceRoot, `${run.id}--review--1`, "checkout"), { recursive: true });

    const newer = await submit("c".repeat(40));
    expect(newer.superseded).toEqual([run.id]);

    // Its job, released by the lease, is claimed by another runner.
    let ran = false;
    await runStageJob({ db: t.db, log: quiet, agents: stageAgents({ review: { stage: "review", run: async () => ((ran = true), Promise.reject(new Error("must not run"))) } }) }, { runId: run.id, stage: "review", attempt: 1 });
    expect(ran).toBe(false);
    const attempt = await t.db.stageRun.findUniqueOrThrow({ where: { runId_stage_attempt: { runId: run.id, stage: "review", attempt: 1 } } });
    expect(attempt).toMatchObject({ status: "cancelled", summary: expect.stringMatching(/^cancelled: the run was superseded/) });
    expect(attempt.finishedAt).not.toBeNull();

    expect(await sweepWorkspaces(t.db, { root: workspaceRoot, log: quiet })).toBe(1);
    expect(fs.readdirSync(workspaceRoot)).toEqual([]);
  });
});
