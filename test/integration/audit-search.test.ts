import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { runStageJob } from "@/agents/engine/run-stage-job";
import { createReviewAgent } from "@/agents/review/review-agent";
import { appendAuditEvent, type AuditActor } from "@/lib/audit/chain/append-audit-event";
import { loadChangeRecord } from "@/lib/audit/reports/change-record";
import { auditSearchQuery, getAuditEvent, searchAuditEvents, type AuditSearchInput } from "@/lib/audit/search/search-events";
import type { Actor } from "@/lib/auth/actor";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { Prisma } from "@/lib/db/generated/client";
import { decideEscalation } from "@/lib/escalations/decide-escalation";
import { log } from "@/lib/log";
import { registerRepository } from "@/lib/repositories/register-repository";
import { submitRun } from "@/lib/runs/submit-run";
import { createUser } from "@/lib/users/create-user";
import { createDemoRepository } from "@/scripts/lib/demo-repository";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { cleanDiff, evalDiff } from "../support/diffs";
import { stageAgents } from "../support/stage-agents";

const reviewAgent: AuditActor = { type: "agent", id: "review", label: "review agent (heuristic)" };
const engine: AuditActor = { type: "system", id: "engine", label: "pipeline engine" };
const alice: AuditActor = { type: "user", id: "user-alice", label: "alice@example.com" };
const bob: AuditActor = { type: "user", id: "user-bob", label: "bob@example.com" };

/** What was appended, to compute each filter's expected result independently of the SQL. */
interface Seeded {
  sequence: string;
  occurredAt: Date;
  actor: AuditActor;
  action: string;
  runId: string;
  repositoryId: string;
  payload: Record<string, unknown>;
}

/** Pages through a filter with a small page size, checking order and cursors on the way. */
async function allPages(t: TestDatabase, filter: AuditSearchInput, limit = 4): Promise<string[]> {
  const sequences: string[] = [];
  let before: string | undefined;
  for (let page = 0; page < 100; page += 1) {
    const result = await searchAuditEvents(t.db, { ...filter, limit, ...(before ? { before } : {}) });
    expect(result.events.length).toBeLessThanOrEqual(limit);
    sequences.push(...result.events.map((e) => e.sequence));
    if (!result.nextCursor) return sequences;
    expect(result.events).toHaveLength(limit);
    before = result.nextCursor;
  }
  throw new Error("paging did not end");
}

const newestFirst = (rows: Seeded[]) => rows.map((r) => r.sequence).sort((a, b) => Number(b) - Number(a));

describe("searching the audit log", () => {
  let t: TestDatabase;
  const seeded: Seeded[] = [];
  const repos = {} as Record<"shop" | "billing", string>;

  async function seed(actor: AuditActor, action: string, runId: string, repositoryId: string, payload: Record<string, unknown>) {
    const event = await t.db.$transaction((tx) => appendAuditEvent(tx, { actor, action, subject: { type: "run", id: runId }, runId, repositoryId, payload }));
    seeded.push({ sequence: event.sequence.toString(), occurredAt: event.occurredAt, actor, action, runId, repositoryId, payload });
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    repos.shop = (await t.db.repository.create({ data: { name: "shop", location: "/tmp/shop" } })).id;
    repos.billing = (await t.db.repository.create({ data: { name: "billing", location: "/tmp/billing" } })).id;
    const runs = [
      { id: "run-a", repo: repos.shop },
      { id: "run-b", repo: repos.shop },
      { id: "run-c", repo: repos.billing },
    ];
    for (let i = 0; i < 12; i += 1) {
      const run = runs[i % runs.length];
      await seed(engine, "run.submitted", run.id, run.repo, { title: `Change ${i}`, pullRequest: i });
      const outcome = i % 3 === 0 ? "pass" : "escalate";
      await seed(reviewAgent, "stage.decided", run.id, run.repo, { stage: "review", outcome, riskScore: outcome === "pass" ? 2 : 8, summary: `review ${i}`, rationale: `Why ${i}` });
      if (outcome === "escalate") {
        await seed(engine, "run.escalated", run.id, run.repo, { stage: "review", reasons: [{ code: "high_risk" }] });
        const person = i % 2 === 0 ? alice : bob;
        await seed(person, "escalation.decided", run.id, run.repo, { decision: i % 4 === 1 ? "reject" : "approve", rationale: `Decided ${i} after reading it` });
      }
    }
  });
  afterAll(async () => t?.drop());

  it("lists everything newest first, and pages without duplicates or gaps", async () => {
    const first = await searchAuditEvents(t.db, {});
    expect(first.events.map((e) => e.sequence)).toEqual(newestFirst(seeded));
    expect(first.nextCursor).toBeNull();
    for (const limit of [1, 4, 7, seeded.length]) expect(await allPages(t, {}, limit)).toEqual(newestFirst(seeded));
  });

  it("returns rows with a summary but without the payload", async () => {
    const { events } = await searchAuditEvents(t.db, { action: "escalation.decided", limit: 1 });
    const latest = seeded.filter((s) => s.action === "escalation.decided").at(-1)!;
    expect(events[0]).toMatchObject({
      sequence: latest.sequence,
      actor: { type: "user", id: latest.actor.id, label: latest.actor.label },
      runId: latest.runId,
      repository: { id: latest.repositoryId, name: latest.repositoryId === repos.shop ? "shop" : "billing" },
      summary: `${latest.payload.decision}: ${latest.payload.rationale}`,
    });
    expect(events[0]).not.toHaveProperty("payload");
  });

  const filterCases: [string, () => AuditSearchInput, (s: Seeded) => boolean][] = [
    ["repository", () => ({ repository: "billing" }), (s) => s.repositoryId === repos.billing],
    ["an unknown repository", () => ({ repository: "nowhere" }), () => false],
    ["run", () => ({ runId: "run-b" }), (s) => s.runId === "run-b"],
    ["actor type", () => ({ actorType: "user" }), (s) => s.actor.type === "user"],
    ["actor id", () => ({ actor: "user-bob" }), (s) => s.actor.id === "user-bob"],
    ["actor label prefix, any case", () => ({ actor: "ALICE@" }), (s) => s.actor.label.startsWith("alice@")],
    ["a LIKE wildcard typed literally", () => ({ actor: "%" }), () => false],
    ["exact action", () => ({ action: "run.escalated" }), (s) => s.action === "run.escalated"],
    ["action prefix", () => ({ action: "run.*" }), (s) => s.action.startsWith("run.")],
    ["decision in payload.decision", () => ({ decision: "reject" }), (s) => s.payload.decision === "reject"],
    ["decision in payload.outcome", () => ({ decision: "pass" }), (s) => s.payload.outcome === "pass"],
    [
      "several filters at once",
      () => ({ repository: "shop", actorType: "user", decision: "approve" }),
      (s) => s.repositoryId === repos.shop && s.actor.type === "user" && s.payload.decision === "approve",
    ],
  ];

  it.each(filterCases)("filters by %s", async (_name, filter, expected) => {
    const want = newestFirst(seeded.filter(expected));
    expect(await allPages(t, filter())).toEqual(want);
  });

  it("can answer the decision filter from the indexes on the content's decision and outcome", async () => {
    // With sequential and plain index scans off, the rows can only be found through a bitmap of
    // the expression indexes, and the planner can use those only if the search spells their
    // expressions exactly (a table this small would otherwise be read whole).
    const { query } = await auditSearchQuery(t.db, { decision: "reject" });
    const plan = await t.db.$transaction(async (tx) => {
      await tx.$executeRaw`SET LOCAL enable_seqscan = off`;
      await tx.$executeRaw`SET LOCAL enable_indexscan = off`;
      return tx.$queryRaw<{ "QUERY PLAN": string }[]>(Prisma.sql`EXPLAIN ${query!}`);
    });
    const text = plan.map((row) => row["QUERY PLAN"]).join("\n");
    expect(text).toContain('Bitmap Index Scan on "AuditEvent_content_decision_idx"');
    expect(text).toContain('Bitmap Index Scan on "AuditEvent_content_outcome_idx"');
  });

  it("filters by a time range: from inclusive, to exclusive", async () => {
    const from = seeded[5].occurredAt;
    const to = seeded[15].occurredAt;
    const want = newestFirst(seeded.filter((s) => s.occurredAt >= from && s.occurredAt < to));
    expect(want.length).toBeGreaterThan(0);
    expect(await allPages(t, { from: from.toISOString(), to: to.toISOString() })).toEqual(want);
  });

  it("filters by a time range that is open at one end or lies outside the log", async () => {
    const middle = seeded[9].occurredAt;
    const later = new Date(seeded.at(-1)!.occurredAt.getTime() + 60_000);
    const earlier = new Date(seeded[0].occurredAt.getTime() - 60_000);
    expect(await allPages(t, { from: middle.toISOString() })).toEqual(newestFirst(seeded.filter((s) => s.occurredAt >= middle)));
    expect(await allPages(t, { to: middle.toISOString() })).toEqual(newestFirst(seeded.filter((s) => s.occurredAt < middle)));
    expect(await allPages(t, { from: middle.toISOString(), to: later.toISOString(), repository: "shop" })).toEqual(
      newestFirst(seeded.filter((s) => s.occurredAt >= middle && s.repositoryId === repos.shop)),
    );
    expect(await allPages(t, { from: later.toISOString() })).toEqual([]);
    expect(await allPages(t, { to: earlier.toISOString() })).toEqual([]);
  });

  it.each<[string, AuditSearchInput]>([
    ["a limit over the maximum", { limit: 500 }],
    ["a pull request number without its repository", { prNumber: 3 }],
    ["an action that is not an action name", { action: "drop table" }],
    ["a time that is not ISO 8601", { from: "yesterday" }],
    ["a time range that ends before it starts", { from: "2025-02-01", to: "2025-01-01" }],
    ["a cursor that is not a sequence number", { before: "abc" }],
    ["an unknown decision", { decision: "maybe" as never }],
    ["an unknown parameter", { actr: "alice" } as AuditSearchInput],
  ])("refuses %s with a ZodError", async (_name, filter) => {
    await expect(searchAuditEvents(t.db, filter)).rejects.toBeInstanceOf(ZodError);
  });

  it("returns one event in full, checked against its hash and its predecessor", async () => {
    const target = seeded[7];
    const event = await getAuditEvent(t.db, target.sequence);
    expect(event).toMatchObject({ sequence: target.sequence, action: target.action, payload: target.payload, integrity: { ok: true }, agentDecision: null });
    expect(await getAuditEvent(t.db, "999999")).toBeNull();
  });
});


describe("the change record of a run taken through review and a human approval", () => {
  let t: TestDatabase;
  let repoDir: string;
  let reviewer: Actor;
  let runId: string;
  let otherRunId: string;
  const system = { type: "system", id: "test", label: "test intake" } as const;
  const quiet = log.child({ test: "audit-search" });

  async function submitAndReview(prNumber: number, diff: string) {
    const { run } = await submitRun(t.db, {
      actor: system,
      input: { repository: "demo", prNumber, title: `Change ${prNumber}`, author: "Dev@Example.com", baseSha: "a".repeat(40), headSha: `${prNumber}`.padStart(40, "e"), diff },
    });
    await runStageJob({ db: t.db, log: quiet, agents: stageAgents({ review: createReviewAgent(null) }) }, { runId: run.id, stage: "review", attempt: 1 });
    return run.id;
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    repoDir = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-audit-"));
    await createDemoRepository(repoDir);
    await registerRepository(t.db, { input: { name: "demo", path: repoDir }, actor: system });
    const user = await createUser(t.db, { input: { email: "rev1@example.com", role: "reviewer", password: "a-long-password" }, actor: system });
    reviewer = { via: "session", user: { id: user.id, email: user.email, name: user.email, role: "reviewer" } };

    runId = await submitAndReview(1, evalDiff);
    const escalation = await t.db.escalation.findFirstOrThrow({ where: { runId } });
    await decideEscalation(t.db, { escalationId: escalation.id, actor: reviewer, input: { decision: "approve", rationale: "Read the eval call; it only runs trusted report expressions." } });
    otherRunId = await submitAndReview(2, cleanDiff);
  });
  afterAll(async () => {
    await t?.drop();
    fs.rmSync(repoDir, { recursive: true, force: true });
  });

  const sequenceOf = async (action: string, id = runId) =>
    (await t.db.auditEvent.findFirstOrThrow({ where: { runId: id, action }, select: { sequence: true } })).sequence.toString();

  it("states the request with who submitted it, backed by the run.submitted event", async () => {
    const record = (await loadChangeRecord(t.db, runId))!;
    expect(record.request).toMatchObject({
      repository: "demo",
      pullRequest: { number: 1, title: "Change 1", author: "Dev@Example.com" },
      submittedBy: "test intake",
      events: [await sequenceOf("run.submitted")],
    });
    expect(record.request.submittedAt).toBeTruthy();
  });

  it("states the review decision with provider, risk, rationale and findings, backed by stage.decided", async () => {
    const record = (await loadChangeRecord(t.db, runId))!;
    expect(record.review).toMatchObject({ ran: true, note: expect.stringMatching(/^escalated/i) });
    expect(record.review.decisions).toHaveLength(1);
    const [decision] = record.review.decisions;
    expect(decision).toMatchObject({ provider: "heuristic", model: null, outcome: "escalate", riskScore: 8, events: [await sequenceOf("stage.decided")] });
    expect(decision.rationale.length).toBeGreaterThan(0);
    expect(decision.findings.total).toBeGreaterThan(0);
  });

  it("shows the human approval with who, when, why, the package hash, and proof the approver was not the author", async () => {
    const record = (await loadChangeRecord(t.db, runId))!;
    expect(record.escalations).toHaveLength(1);
    const [escalation] = record.escalations;
    expect(escalation).toMatchObject({ status: "approved", reasons: ["risk 8 ≥ 7"], events: [await sequenceOf("run.escalated")] });
    expect(escalation.decisions).toEqual([
      {
        decider: { name: "rev1", email: "rev1@example.com", role: "reviewer" },
        decidedAt: expect.any(String),
        decision: "approve",
        rationale: "Read the eval call; it only runs trusted report expressions.",
        contextHash: escalation.contextHash,
        sawStoredPackage: true,
        separation: { approverEmail: "rev1@example.com", authorEmail: "Dev@Example.com", distinct: true },
        events: [await sequenceOf("escalation.decided")],
      },
    ]);
  });

  it("says plainly why the later stages have nothing to show", async () => {
    const record = (await loadChangeRecord(t.db, runId))!;
    // The approval moved the run on to the test stage, whose attempt waits for a runner.
    expect(record.test).toMatchObject({ ran: true, note: "queued", attempts: [{ status: "queued" }] });
    for (const section of [record.staging, record.validation, record.deployment]) expect(section).toMatchObject({ ran: false, note: "not run yet" });
    expect(record.staging.deployments).toEqual([]);
    expect(record.deployment.deployments).toEqual([]);
    expect(record.rollback).toEqual({ happened: false, note: "none: nothing was deployed", deployments: [] });
  });

  it("lists the audit events behind the record, each intact, and the chain verified at viewing time", async () => {
    const record = (await loadChangeRecord(t.db, runId))!;
    expect(record.auditEvents.map((e) => e.action)).toEqual(["run.submitted", "stage.decided", "run.escalated", "escalation.decided"]);
    expect(record.eventIntegrity).toEqual({ checked: 4, ok: true, problems: [] });
    expect(record.chain).toMatchObject({ ok: true, broken: null });
    const listed = new Set(record.auditEvents.map((e) => e.sequence));
    const cited = [...record.request.events, ...record.review.decisions.flatMap((d) => d.events), ...record.escalations.flatMap((e) => [...e.events, ...e.decisions.flatMap((d) => d.events)])];
    for (const sequence of cited) expect(listed).toContain(sequence);
  });

  it("is null for a run that does not exist", async () => {
    expect(await loadChangeRecord(t.db, "no-such-run")).toBeNull();
  });

  it("finds a pull request's events by repository and number, and decisions by value", async () => {
    const byPr = await searchAuditEvents(t.db, { repository: "demo", prNumber: "1" as unknown as number });
    expect(byPr.events.length).toBe(4);
    expect(new Set(byPr.events.map((e) => e.runId))).toEqual(new Set([runId]));
    expect((await searchAuditEvents(t.db, { repository: "demo", prNumber: 99 })).events).toEqual([]);
    const approvals = await searchAuditEvents(t.db, { decision: "approve" });
    expect(approvals.events.map((e) => e.action)).toEqual(["escalation.decided"]);
    const passes = await searchAuditEvents(t.db, { decision: "pass" });
    expect(passes.events.map((e) => e.runId)).toEqual([otherRunId]);
  });

  it("returns an agent's decision event with the stored decision behind it", async () => {
    const event = await getAuditEvent(t.db, await sequenceOf("stage.decided"));
    expect(event).toMatchObject({ action: "stage.decided", integrity: { ok: true }, agentDecision: { provider: "heuristic", prompt: null, response: null } });
    expect((event!.payload as { rationale: string }).rationale).toBe(event!.agentDecision!.rationale);
  });
});
