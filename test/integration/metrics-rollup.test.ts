import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { queryMetrics } from "@/lib/metrics/query-metrics";
import { computeReport } from "../support/metrics-reference";
import { METRICS_ROLLUP_LOCK, refreshMetricsRollup } from "@/lib/metrics/refresh-metrics-rollup";
import { dayRanges, splitByRollup } from "@/lib/metrics/rollup-coverage";
import { metricsQuerySchema, resolveFilters, resolveWindow } from "@/lib/metrics/window";
import { simulateHistory } from "@/lib/simulation/simulate-history";
import { createUser } from "@/lib/users/create-user";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { expectClose, loadHistory } from "../support/metrics-history";

const actor = { type: "system", id: "test", label: "metrics rollup test" } as const;
// The history lies in the past of the machine's clock, so every one of its days can be rolled up.
const now = new Date("2026-06-15T12:00:00.000Z");
const at = (text: string) => new Date(`2026-${text}:00.000Z`);
const utc = (date: Date) => date.toISOString();

const queries = [
  metricsQuerySchema.parse({ from: "2026-05-17", to: "2026-06-16" }),
  metricsQuerySchema.parse({ from: "2026-04-06", to: "2026-06-15", bucket: "week" }),
  metricsQuerySchema.parse({ from: "2026-05-17", to: "2026-06-16", repository: "real-shop" }),
  metricsQuerySchema.parse({ from: "2026-05-17", to: "2026-06-16", team: "platform", bucket: "week" }),
  metricsQuerySchema.parse({ from: "2026-05-17", to: "2026-06-16", simulated: "exclude" }),
];

describe("splitting a window between the rollup and the live query", () => {
  const span = { from: new Date("2026-05-01T00:00:00Z"), to: new Date("2026-05-08T00:00:00Z") };
  const periodStart = new Date("2026-05-04T00:00:00Z");

  it("reads rolled-up days from the rollup and the gaps between them live", () => {
    expect(splitByRollup(span, periodStart, ["2026-05-03", "2026-05-02", "2026-05-06", "2026-04-30", "2026-05-08"])).toEqual({
      rolledUp: ["2026-05-02", "2026-05-03", "2026-05-06"],
      live: [
        { from: new Date("2026-05-01T00:00:00Z"), to: new Date("2026-05-02T00:00:00Z") },
        { from: new Date("2026-05-04T00:00:00Z"), to: new Date("2026-05-06T00:00:00Z") },
        { from: new Date("2026-05-07T00:00:00Z"), to: new Date("2026-05-08T00:00:00Z") },
      ],
    });
    expect(splitByRollup(span, periodStart, [])).toEqual({ rolledUp: [], live: [span] });
    expect(splitByRollup(span, periodStart, ["2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05", "2026-05-06", "2026-05-07"]).live).toEqual([]);
  });

  it("computes live a day cut by the window's edges or by the start of the current period", () => {
    const ragged = { from: new Date("2026-05-01T12:00:00Z"), to: new Date("2026-05-04T06:00:00Z") };
    expect(splitByRollup(ragged, new Date("2026-05-02T18:00:00Z"), ["2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04"])).toEqual({
      rolledUp: ["2026-05-03"],
      live: [
        { from: ragged.from, to: new Date("2026-05-03T00:00:00Z") },
        { from: new Date("2026-05-04T00:00:00Z"), to: ragged.to },
      ],
    });
  });

  it("merges consecutive days into one range", () => {
    expect(dayRanges(["2026-05-03", "2026-05-01", "2026-05-02", "2026-05-05", "2026-05-02"])).toEqual([
      { from: new Date("2026-05-01T00:00:00Z"), to: new Date("2026-05-04T00:00:00Z") },
      { from: new Date("2026-05-05T00:00:00Z"), to: new Date("2026-05-06T00:00:00Z") },
    ]);
  });
});

describe("the metrics rollup on PostgreSQL", () => {
  let t: TestDatabase;
  let real: Awaited<ReturnType<typeof insertRealHistory>>;

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    for (const email of ["rita@example.com", "remy@example.com"]) {
      await createUser(t.db, { input: { email, role: "reviewer", password: "metrics-password-1" }, actor });
    }
    await simulateHistory(t.db, { days: 60, prsPerDay: 6, seed: 8, now, actor });
    real = await insertRealHistory(t);
    expect(await refreshMetricsRollup(t.db)).toMatchObject({ busy: false });
  });

  afterAll(async () => {
    await t?.drop();
  });

  const listed = async (days: string[]) =>
    (await t.sql<{ day: string }>(`SELECT to_char(day, 'YYYY-MM-DD') AS day FROM "MetricsRollupDay" WHERE day = ANY($1::date[]) ORDER BY day`, [days])).map((row) => row.day);
  const listedCount = async () => (await t.sql<{ days: number }>(`SELECT count(*)::int AS days FROM "MetricsRollupDay"`))[0].days;
  const expectExact = async () => {
    const history = await loadHistory(t.db);
    for (const query of queries) {
      const window = resolveWindow(query, now);
      const filters = resolveFilters(query);
      expectClose(await queryMetrics(t.db, window, filters), computeReport(history, window, filters), `report for ${JSON.stringify(query)}`);
    }
  };

  /**
   * A late change: the days it reopens are out of the rollup at once (and the numbers exact, read
   * live), a day it does not touch stays in, and the next refresh rolls the reopened days up again.
   */
  async function expectLateChange(change: () => Promise<unknown>, reopened: string[]) {
    expect(await listed(reopened)).toEqual(reopened);
    expect(await listed(["2026-05-02"])).toEqual(["2026-05-02"]);
    await change();
    expect(await listed(reopened)).toEqual([]);
    expect(await listed(["2026-05-02"])).toEqual(["2026-05-02"]);
    await expectExact();
    const refresh = await refreshMetricsRollup(t.db);
    expect(refresh).toEqual({ rolledUp: reopened.length, busy: false });
    expect(await listed(reopened)).toEqual(reopened);
    await expectExact();
  }

  it("rolls up every settled day, and the numbers equal the reference", async () => {
    const [span] = await t.sql<{ first: string; last: string; gaps: number }>(
      `SELECT to_char(min(day), 'YYYY-MM-DD') AS first, to_char(max(day), 'YYYY-MM-DD') AS last, (max(day) - min(day) + 1 - count(*))::int AS gaps FROM "MetricsRollupDay"`,
    );
    const [expected] = await t.sql<{ first: string; last: string }>(
      `SELECT to_char(min("createdAt"), 'YYYY-MM-DD') AS first, to_char(((now() AT TIME ZONE 'UTC') - interval '1 hour')::date - 1, 'YYYY-MM-DD') AS last FROM "PipelineRun"`,
    );
    expect(span).toEqual({ ...expected, gaps: 0 });
    await expectExact();
  });

  it("an escalation decided weeks later reopens the day it was raised and the day of its run", async () => {
    await expectLateChange(() => t.db.escalation.update({ where: { id: real.openEscalationId }, data: { status: "approved", decidedAt: at("06-14T16:00") } }), ["2026-06-05", "2026-06-14"]);
  });

  it("a stage attempt finished without its run changing reopens the run's day", async () => {
    await expectLateChange(() => t.db.stageRun.update({ where: { id: real.runningAttemptId }, data: { status: "passed", finishedAt: at("06-07T09:30") } }), ["2026-06-07"]);
  });

  it("a canary promoted days later reopens the day of the failure it restores", async () => {
    // The incident of 06-01 had no successful deployment after it; the canary of 06-03 becomes one.
    await expectLateChange(() => t.db.deployment.update({ where: { id: real.canaryId }, data: { status: "promoted", trafficPercent: 100, finishedAt: at("06-14T09:00") } }), [
      "2026-06-01",
      "2026-06-03",
    ]);
  });

  it("a deployment written into the past reopens the days whose restore time it changes", async () => {
    // The incident of 06-08 was restored by the deployment of 06-10; one of 06-09 comes first now.
    await expectLateChange(() => insertDeployedRun(t, { repositoryId: real.apiRepositoryId, number: 9, author: "dee@api.example", day: "06-09" }), ["2026-06-08", "2026-06-09"]);
  });

  it("an incident reported on an old deployment reopens its day", async () => {
    const [deployment] = await t.sql<{ id: string; day: string }>(
      `SELECT d.id, to_char(d."startedAt", 'YYYY-MM-DD') AS day FROM "Deployment" d
        WHERE d.environment = 'production' AND d.status = 'promoted' AND d."incidentReport" IS NULL AND d."startedAt" >= '2026-05-20' AND d."startedAt" < '2026-05-21'
        LIMIT 1`,
    );
    await expectLateChange(() => t.db.deployment.update({ where: { id: deployment.id }, data: { incidentReport: { summary: "found a week later" } } }), [deployment.day]);
  });

  it("deleting a run reopens its days and those whose restore time may have used its deployments", async () => {
    const run = await t.db.pipelineRun.findFirstOrThrow({ where: { pullRequest: { repositoryId: real.apiRepositoryId, number: 9 } } });
    await expectLateChange(() => t.db.pipelineRun.delete({ where: { id: run.id } }), ["2026-06-08", "2026-06-09"]);
  });

  it("a change to a repository's teams mapping reopens every day, and teams follow the new mapping", async () => {
    const before = await listedCount();
    expect(before).toBeGreaterThan(60);
    await t.db.repository.update({ where: { id: real.shopRepositoryId }, data: { settings: { teams: { "@agency.example": "payments" } } } });
    expect(await listedCount()).toBe(0);
    await expectExact();
    expect(await refreshMetricsRollup(t.db)).toEqual({ rolledUp: before, busy: false });
    await expectExact();
    const [teams] = await t.sql<{ platform: number; payments: number }>(
      `SELECT count(*) FILTER (WHERE team = 'platform')::int AS platform, count(*) FILTER (WHERE team = 'payments')::int AS payments
         FROM "MetricsDailyRollup" WHERE "repositoryId" = $1`,
      [real.shopRepositoryId],
    );
    expect(teams).toEqual({ platform: 0, payments: 2 });
  });

  it("never rolls up today: a run started now is read live", async () => {
    await insertDeployedRun(t, { repositoryId: real.shopRepositoryId, number: 50, author: "bo@shop.example", day: new Date().toISOString().slice(5, 10) });
    expect((await refreshMetricsRollup(t.db)).busy).toBe(false);
    const today = new Date().toISOString().slice(0, 10);
    expect(await listed([today])).toEqual([]);
    const query = metricsQuerySchema.parse({ period: "7d", repository: "real-shop" });
    const window = resolveWindow(query);
    const report = await queryMetrics(t.db, window, resolveFilters(query));
    expect(report.current.runsStarted).toBe(1);
    expectClose(report, computeReport(await loadHistory(t.db), window, resolveFilters(query)));
  });

  it("a refresh gives up after a second while a writer of a settled day has not committed", async () => {
    const writer = new pg.Client({ connectionString: t.url });
    await writer.connect();
    try {
      await writer.query("BEGIN");
      await writer.query(`UPDATE "StageRun" SET summary = 'edited by hand' WHERE id = $1`, [real.runningAttemptId]);
      const started = performance.now();
      expect(await refreshMetricsRollup(t.db)).toEqual({ rolledUp: 0, busy: true });
      expect(performance.now() - started).toBeGreaterThan(900);
      await writer.query("COMMIT");
      expect(await refreshMetricsRollup(t.db)).toEqual({ rolledUp: 1, busy: false });
    } finally {
      await writer.end();
    }
  });

  it("while a refresh holds the lock, writes of today go ahead and writes of settled days wait", async () => {
    const refresh = new pg.Client({ connectionString: t.url });
    const writer = new pg.Client({ connectionString: t.url });
    await Promise.all([refresh.connect(), writer.connect()]);
    try {
      await refresh.query("BEGIN");
      await refresh.query(`SELECT pg_advisory_xact_lock(${METRICS_ROLLUP_LOCK}::bigint)`);
      await writer.query(`SET lock_timeout = '300ms'`);
      const run = await t.db.pipelineRun.findFirstOrThrow({ where: { pullRequest: { repositoryId: real.shopRepositoryId, number: 50 } } });
      await writer.query(`INSERT INTO "StageRun" (id, "runId", stage, attempt, status, "queuedAt") VALUES ('today-attempt', $1, 'test', 1, 'queued', $2::timestamp)`, [run.id, utc(new Date())]);
      await writer.query(`UPDATE "PipelineRun" SET status = 'running' WHERE id = $1`, [run.id]);
      await expect(writer.query(`UPDATE "StageRun" SET summary = 'edited again' WHERE id = $1`, [real.runningAttemptId])).rejects.toThrow(/lock timeout/);
      await refresh.query("COMMIT");
      await writer.query(`UPDATE "StageRun" SET summary = 'edited again' WHERE id = $1`, [real.runningAttemptId]);
      expect(await listed(["2026-06-07"])).toEqual([]);
    } finally {
      await Promise.all([refresh.end(), writer.end()]);
    }
  });
});

/**
 * Real runs for what the simulation never leaves behind, in two repositories of their own:
 * real-shop has an incident (06-01) with no successful deployment after it but a canary (06-03),
 * an escalation still open (06-05) and a review still running (06-07); real-api has an incident
 * (06-08) restored by the deployment of 06-10.
 */
async function insertRealHistory(t: TestDatabase) {
  const shop = await t.db.repository.create({ data: { name: "real-shop", location: "/srv/real-shop", settings: { teams: { "@agency.example": "platform" } } } });
  const api = await t.db.repository.create({ data: { name: "real-api", location: "/srv/real-api" } });

  const incident = await insertDeployedRun(t, { repositoryId: shop.id, number: 1, author: "bo@shop.example", day: "06-01", incident: true });
  const canaryRun = await insertRun(t, { repositoryId: shop.id, number: 2, author: "ana@agency.example", createdAt: at("06-03T09:00"), status: "running" });
  const canary = await t.db.deployment.create({
    data: { runId: canaryRun.id, environment: "production", strategy: "canary", target: "prod", status: "canary", trafficPercent: 5, startedAt: at("06-03T10:00") },
  });

  const escalated = await insertRun(t, { repositoryId: shop.id, number: 3, author: "cy@shop.example", createdAt: at("06-05T09:00"), status: "escalated" });
  await t.db.stageRun.create({ data: { runId: escalated.id, stage: "review", attempt: 1, status: "escalated", queuedAt: at("06-05T09:00"), startedAt: at("06-05T09:01"), finishedAt: at("06-05T10:05") } });
  const escalation = await t.db.escalation.create({
    data: { runId: escalated.id, stage: "review", reasons: ["api_break"], reasonLabels: ["API break"], contextPackage: {}, contextHash: "0".repeat(64), dueAt: at("06-05T14:05"), createdAt: at("06-05T10:05") },
  });

  const reviewing = await insertRun(t, { repositoryId: shop.id, number: 4, author: "ana@agency.example", createdAt: at("06-07T09:00"), status: "running" });
  const attempt = await t.db.stageRun.create({ data: { runId: reviewing.id, stage: "review", attempt: 1, status: "running", queuedAt: at("06-07T09:00"), startedAt: at("06-07T09:20") } });

  await insertDeployedRun(t, { repositoryId: api.id, number: 1, author: "dee@api.example", day: "06-08", incident: true });
  await insertDeployedRun(t, { repositoryId: api.id, number: 2, author: "dee@api.example", day: "06-10" });
  expect(incident).toBeTruthy();
  return { shopRepositoryId: shop.id, apiRepositoryId: api.id, canaryId: canary.id, openEscalationId: escalation.id, runningAttemptId: attempt.id };
}

async function insertRun(t: TestDatabase, input: { repositoryId: string; number: number; author: string; createdAt: Date; status: "running" | "done" | "escalated"; finishedAt?: Date }) {
  const policy = await t.db.policy.findFirstOrThrow({ where: { active: true } });
  const pullRequest = await t.db.pullRequest.create({
    data: { repositoryId: input.repositoryId, number: input.number, title: `Real change ${input.number}`, author: input.author, baseRef: "main", headRef: `b${input.number}`, openedAt: input.createdAt },
  });
  return t.db.pipelineRun.create({
    data: {
      pullRequestId: pullRequest.id,
      baseSha: "a".repeat(40),
      headSha: "b".repeat(40),
      diff: { create: { text: "", paths: [] } },
      diffBytes: 0,
      status: input.status,
      currentStage: "review",
      policyId: policy.id,
      createdAt: input.createdAt,
      finishedAt: input.finishedAt ?? null,
    },
  });
}

/** A run opened at 09:00 on `day` (MM-DD), reviewed, and deployed to production 10:00–11:00, with an incident or not. */
async function insertDeployedRun(t: TestDatabase, input: { repositoryId: string; number: number; author: string; day: string; incident?: boolean }) {
  const run = await insertRun(t, { ...input, createdAt: at(`${input.day}T09:00`), status: "done", finishedAt: at(`${input.day}T11:00`) });
  await t.db.stageRun.createMany({
    data: [
      { runId: run.id, stage: "review", attempt: 1, status: "passed", queuedAt: at(`${input.day}T09:00`), startedAt: at(`${input.day}T09:01`), finishedAt: at(`${input.day}T09:10`) },
      { runId: run.id, stage: "deployment", attempt: 1, status: "passed", queuedAt: at(`${input.day}T09:50`), startedAt: at(`${input.day}T10:00`), finishedAt: at(`${input.day}T11:00`) },
    ],
  });
  await t.db.deployment.create({
    data: {
      runId: run.id,
      environment: "production",
      strategy: "canary",
      target: "prod",
      status: "promoted",
      trafficPercent: 100,
      startedAt: at(`${input.day}T10:00`),
      finishedAt: at(`${input.day}T11:00`),
      ...(input.incident ? { incidentReport: { summary: "errors after promotion" } } : {}),
    },
  });
  return run;
}
