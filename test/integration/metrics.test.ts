import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payloadOf } from "@/lib/audit/chain/event-payload";
import { createApiToken } from "@/lib/auth/api-tokens";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { drillDown } from "@/lib/metrics/drill-down";
import { queryMetrics } from "@/lib/metrics/query-metrics";
import { computeReport } from "../support/metrics-reference";
import { refreshMetricsRollup } from "@/lib/metrics/refresh-metrics-rollup";
import { metricsQuerySchema, resolveFilters, resolveWindow, type MetricsQuery } from "@/lib/metrics/window";
import { countSimulatedRuns, deleteSimulatedHistory, simulateHistory, SimulatedHistoryExistsError } from "@/lib/simulation/simulate-history";
import { createUser } from "@/lib/users/create-user";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { expectClose, loadHistory } from "../support/metrics-history";

const actor = { type: "system", id: "test", label: "metrics test" } as const;
// A fixed "now", so the periods below and the generated history line up the same on every run.
const now = new Date("2026-06-15T12:00:00.000Z");
const SEED = 20260615;

describe("metrics on PostgreSQL", () => {
  let t: TestDatabase;
  let realRunIds: string[] = [];
  let managerToken = "";
  let reviewerToken = "";

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    for (const [email, role] of [["rita@example.com", "reviewer"], ["remy@example.com", "reviewer"], ["mona@example.com", "manager"]] as const) {
      await createUser(t.db, { input: { email, role, password: "metrics-password-1" }, actor });
    }
    const result = await simulateHistory(t.db, { days: 70, prsPerDay: 12, seed: SEED, now, actor });
    expect(result.runs).toBeGreaterThan(500);
    realRunIds = await insertRealEdgeCases(t);
    // Lead time starts at the first commit the code host reports (issue #18): a third of the pull
    // requests have one, mostly before their opening, some (every eleventh) after it, which is ignored.
    await t.sql(`UPDATE "PullRequest" SET "firstCommitAt" = "openedAt" - (number % 7) * interval '5 hours' + CASE WHEN number % 11 = 0 THEN interval '3 hours' ELSE interval '0' END
                  WHERE number % 3 = 0`);
    const users = await t.db.user.findMany();
    const userId = (email: string) => users.find((u) => u.email === email)!.id;
    managerToken = (await createApiToken(t.db, { userId: userId("mona@example.com"), input: { name: "dash", scopes: ["metrics:read"] }, actor })).token;
    reviewerToken = (await createApiToken(t.db, { userId: userId("rita@example.com"), input: { name: "ci", scopes: ["runs:read"] }, actor })).token;
  });

  afterAll(async () => {
    await t?.drop();
  });

  const queries: [string, MetricsQuery][] = [
    ["the last 30 days by day", metricsQuerySchema.parse({ from: "2026-05-17", to: "2026-06-16" })],
    ["70 days by week", metricsQuerySchema.parse({ from: "2026-04-06", to: "2026-06-15", bucket: "week" })],
    ["one repository", metricsQuerySchema.parse({ from: "2026-04-06", to: "2026-06-15", repository: "sim-payments" })],
    ["a team from the repository's mapping", metricsQuerySchema.parse({ from: "2026-04-06", to: "2026-06-15", team: "platform", bucket: "week" })],
    ["real runs only", metricsQuerySchema.parse({ from: "2026-05-17", to: "2026-06-16", simulated: "exclude" })],
    ["simulated runs only", metricsQuerySchema.parse({ from: "2026-05-17", to: "2026-06-16", simulated: "only", bucket: "week" })],
    ["a period with no runs at all", metricsQuerySchema.parse({ from: "2025-01-06", to: "2025-01-13" })],
  ];

  const expectEqualToReference = async (query: MetricsQuery) => {
    const window = resolveWindow(query, now);
    const filters = resolveFilters(query);
    const [fromSql, history] = await Promise.all([queryMetrics(t.db, window, filters), loadHistory(t.db)]);
    expectClose(fromSql, computeReport(history, window, filters));
  };
  const rolledUpDays = async () => (await t.sql<{ days: number }>(`SELECT count(*)::int AS days FROM "MetricsRollupDay"`))[0].days;

  // Before any refresh the rollup is empty and every day is read live from the pipeline tables.
  it.each(queries)("the SQL aggregation equals the reference computation: %s", async (_name, query) => {
    expect(await rolledUpDays()).toBe(0);
    await expectEqualToReference(query);
  });

  it("a refresh rolls up every day from the first run to the last one that ended an hour ago, once", async () => {
    const first = await refreshMetricsRollup(t.db);
    const [expected] = await t.sql<{ days: number; last: string }>(
      `SELECT (((now() AT TIME ZONE 'UTC') - interval '1 hour')::date - 1) - min("createdAt")::date + 1 AS days,
              to_char(((now() AT TIME ZONE 'UTC') - interval '1 hour')::date - 1, 'YYYY-MM-DD') AS last
         FROM "PipelineRun"`,
    );
    expect(first).toEqual({ rolledUp: expected.days, busy: false });
    expect(await rolledUpDays()).toBe(expected.days);
    const [listed] = await t.sql<{ last: string }>(`SELECT to_char(max(day), 'YYYY-MM-DD') AS last FROM "MetricsRollupDay"`);
    expect(listed.last).toBe(expected.last);
    // Every simulated fact is rolled up: as many runs and deployments as the tables hold.
    const [totals] = await t.sql<{ rolled_runs: number; runs: number; rolled_deployments: number; deployments: number }>(
      `SELECT (SELECT sum("runsStarted") FROM "MetricsDailyRollup")::int AS rolled_runs, (SELECT count(*) FROM "PipelineRun")::int AS runs,
              (SELECT sum(deployments) FROM "MetricsDailyRollup")::int AS rolled_deployments,
              (SELECT count(*) FROM "Deployment" WHERE environment = 'production' AND status IN ('promoted', 'rolled_back', 'failed'))::int AS deployments`,
    );
    expect(totals.rolled_runs).toBe(totals.runs);
    expect(totals.rolled_deployments).toBe(totals.deployments);
    expect(await refreshMetricsRollup(t.db)).toEqual({ rolledUp: 0, busy: false });
  });

  it.each(queries)("the rollup-backed aggregation equals the reference computation: %s", async (_name, query) => {
    expect(await rolledUpDays()).toBeGreaterThan(60);
    await expectEqualToReference(query);
  });

  it("the aggregation reads the rolled-up rows of the days the rollup holds", async () => {
    const window = resolveWindow(queries[1][1], now);
    const filters = resolveFilters(queries[1][1]);
    const before = await queryMetrics(t.db, window, filters);
    // Rollup rows have no triggers: an edit shows in the report until the day is rolled up again.
    const [edited] = await t.sql<{ day: string }>(
      `UPDATE "MetricsDailyRollup" SET "runsStarted" = "runsStarted" + 1000
        WHERE (day, "repositoryId", team, simulated) = (SELECT day, "repositoryId", team, simulated FROM "MetricsDailyRollup" WHERE day = '2026-05-20' AND "runsStarted" > 0 LIMIT 1)
        RETURNING to_char(day, 'YYYY-MM-DD') AS day`,
    );
    expect(edited.day).toBe("2026-05-20");
    const after = await queryMetrics(t.db, window, filters);
    expect(after.current.runsStarted).toBe(before.current.runsStarted + 1000);
    expect(after.series.find((bucket) => bucket.bucket === "2026-05-18")!.runsStarted).toBe(before.series.find((bucket) => bucket.bucket === "2026-05-18")!.runsStarted + 1000);
    await t.sql(`UPDATE "MetricsDailyRollup" SET "runsStarted" = "runsStarted" - 1000 WHERE day = '2026-05-20' AND "runsStarted" >= 1000`);
    expectClose(await queryMetrics(t.db, window, filters), before);
  });

  it("the API's numbers agree with an independent SQL query", async () => {
    process.env.DATABASE_URL = t.url;
    process.env.NEXTAUTH_SECRET = "m".repeat(40);
    const { GET } = await import("@/app/api/v1/metrics/route");
    const call = (token: string, search: string) => GET(new Request(`http://localhost/api/v1/metrics?${search}`, { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({}) });

    const response = await call(managerToken, "from=2026-04-06&to=2026-06-15&bucket=week");
    expect(response.status).toBe(200);
    const body = await response.json();
    const card = (key: string) => body.headline.find((c: { key: string }) => c.key === key);

    // Written from the definitions, row by row, without the application's SQL fragments.
    const [expected] = await t.sql<{
      lead_mean: number;
      lead_median: number;
      lead_p90: number;
      cfr: number;
      rollback_rate: number;
      per_day: number;
      escalation_rate: number;
      false_share: number;
      restore_median: number | null;
    }>(
      `WITH deployments AS (
         SELECT d.*, CASE WHEN pr."firstCommitAt" < pr."openedAt" THEN pr."firstCommitAt" ELSE pr."openedAt" END AS opened, pr."repositoryId" AS repository_id
           FROM "Deployment" d JOIN "PipelineRun" r ON r.id = d."runId" JOIN "PullRequest" pr ON pr.id = r."pullRequestId"
          WHERE d.environment = 'production' AND d.status <> 'pending' AND d.status <> 'deploying' AND d.status <> 'canary'
            AND d."startedAt" >= '2026-04-06' AND d."startedAt" < '2026-06-15'),
       failures AS (
         SELECT f.*, (SELECT n."finishedAt" FROM "Deployment" n JOIN "PipelineRun" nr ON nr.id = n."runId" JOIN "PullRequest" npr ON npr.id = nr."pullRequestId"
                       WHERE npr."repositoryId" = f.repository_id AND n.environment = 'production' AND n.status = 'promoted' AND n."startedAt" > f."startedAt"
                       ORDER BY n."startedAt" LIMIT 1) AS next_good
           FROM deployments f WHERE f.status = 'rolled_back' OR f."incidentReport" IS NOT NULL),
       runs AS (
         SELECT r.id, EXISTS (SELECT 1 FROM "Escalation" e WHERE e."runId" = r.id) AS escalated,
                EXISTS (SELECT 1 FROM "Escalation" e WHERE e."runId" = r.id)
                  OR EXISTS (SELECT 1 FROM "StageRun" s WHERE s."runId" = r.id AND s.status IN ('passed', 'escalated', 'failed', 'rolled_back')) AS decided
           FROM "PipelineRun" r WHERE r."createdAt" >= '2026-04-06' AND r."createdAt" < '2026-06-15'),
       decisions AS (
         SELECT status FROM "Escalation" WHERE status IN ('approved', 'rejected', 'changes_requested') AND "decidedAt" >= '2026-04-06' AND "decidedAt" < '2026-06-15')
       SELECT (SELECT avg(extract(epoch FROM "finishedAt" - opened) / 3600)::float8 FROM deployments WHERE status = 'promoted') AS lead_mean,
              (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "finishedAt" - opened) / 3600) FROM deployments WHERE status = 'promoted') AS lead_median,
              (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM "finishedAt" - opened) / 3600) FROM deployments WHERE status = 'promoted') AS lead_p90,
              (SELECT count(*) FROM failures)::float8 / (SELECT count(*) FROM deployments) AS cfr,
              (SELECT count(*) FILTER (WHERE status = 'rolled_back') FROM deployments)::float8 / (SELECT count(*) FROM deployments) AS rollback_rate,
              (SELECT count(*) FILTER (WHERE status = 'promoted') FROM deployments)::float8 / 70 AS per_day,
              (SELECT count(*) FILTER (WHERE escalated)::float8 / count(*) FILTER (WHERE decided) FROM runs) AS escalation_rate,
              (SELECT count(*) FILTER (WHERE status = 'approved')::float8 / count(*) FROM decisions) AS false_share,
              (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
                  CASE WHEN status = 'rolled_back' AND "finishedAt" IS NOT NULL THEN "finishedAt" ELSE next_good END - "startedAt") / 3600)
                 FROM failures) AS restore_median`,
    );
    expect(card("lead_time").value).toBeCloseTo(expected.lead_mean, 6);
    expect(body.current.leadTime.medianHours).toBeCloseTo(expected.lead_median, 6);
    expect(body.current.leadTime.p90Hours).toBeCloseTo(expected.lead_p90, 6);
    expect(card("change_failure_rate").value).toBeCloseTo(expected.cfr, 10);
    expect(card("rollback_rate").value).toBeCloseTo(expected.rollback_rate, 10);
    expect(card("deployment_frequency").value).toBeCloseTo(expected.per_day, 10);
    expect(card("escalation_rate").value).toBeCloseTo(expected.escalation_rate, 10);
    expect(card("false_escalations").value).toBeCloseTo(expected.false_share, 10);
    expect(card("time_to_restore").value).toBeCloseTo(expected.restore_median!, 6);
    expect(body.definitions.metrics.change_failure_rate.definition).toContain("rolled back");

    // A token without metrics:read is refused; bad parameters name the field.
    expect((await call(reviewerToken, "period=30d")).status).toBe(403);
    const invalid = await call(managerToken, "period=12d");
    expect(invalid.status).toBe(422);
    expect((await invalid.json()).error.fields[0].path).toBe("period");
  });

  it("the runs behind a number are as many as the number says", async () => {
    const query = metricsQuerySchema.parse({ from: "2026-04-06", to: "2026-06-15", bucket: "week" });
    const window = resolveWindow(query, now);
    const filters = resolveFilters(query);
    const report = await queryMetrics(t.db, window, filters);
    const total = async (set: Parameters<typeof drillDown>[3]["set"], extra: { bucket?: string; stage?: "review"; reason?: string } = {}) =>
      (await drillDown(t.db, window, filters, { set, limit: 5, ...extra })).total;
    expect(await total("runs_started")).toBe(report.current.runsStarted);
    expect(await total("runs_decided")).toBe(report.current.runsDecided);
    expect(await total("runs_escalated")).toBe(report.current.runsEscalated);
    expect(await total("escalations_approved")).toBe(report.current.escalationsApproved);
    expect(await total("escalations_decided")).toBe(report.current.escalationsDecided);
    expect(await total("deployments")).toBe(report.current.deployments);
    expect(await total("deployments_promoted")).toBe(report.current.leadTime.count);
    expect(await total("rollbacks")).toBe(report.current.rollbacks);
    expect(await total("change_failures")).toBe(report.current.changeFailures);
    expect(await total("escalations_with_reason", { reason: "high_risk" })).toBe(report.current.escalationReasons.high_risk);
    const busiest = report.series.reduce((a, b) => (b.deployments > a.deployments ? b : a));
    expect(await total("deployments", { bucket: busiest.bucket })).toBe(busiest.deployments);
    const page = await drillDown(t.db, window, filters, { set: "change_failures", limit: 3 });
    expect(page.items).toHaveLength(3);
    expect(page.items[0].detail).toMatch(/rolled_back|incident/);
  });

  it("simulate-history writes consistent, finished, marked rows and one audit event", async () => {
    const [problems] = await t.sql<Record<string, number>>(`
      SELECT
        (SELECT count(*) FROM "PipelineRun" r JOIN "PullRequest" pr ON pr.id = r."pullRequestId" JOIN "Repository" repo ON repo.id = pr."repositoryId"
          WHERE repo.location LIKE 'simulated://%' AND NOT r.simulated)::int AS unmarked,
        (SELECT count(*) FROM "PipelineRun" WHERE simulated AND (status NOT IN ('done', 'rejected', 'changes_requested', 'failed', 'rolled_back', 'superseded') OR "finishedAt" IS NULL OR "finishedAt" > '2026-06-15T12:00:00'))::int AS unfinished,
        (SELECT count(*) FROM "StageRun" s JOIN "PipelineRun" r ON r.id = s."runId"
          WHERE r.simulated AND (s."startedAt" < s."queuedAt" OR s."finishedAt" < COALESCE(s."startedAt", s."queuedAt") OR s."finishedAt" IS NULL))::int AS bad_attempts,
        (SELECT count(*) FROM "Escalation" e JOIN "PipelineRun" r ON r.id = e."runId" WHERE r.simulated AND (e.status = 'open' OR e."decidedAt" < e."createdAt"))::int AS open_escalations,
        (SELECT count(*) FROM "Deployment" d JOIN "PipelineRun" r ON r.id = d."runId"
          WHERE r.simulated AND NOT ((d.status = 'promoted' AND r.status = 'done') OR (d.status = 'rolled_back' AND r.status = 'rolled_back' AND d."incidentReport" IS NOT NULL)))::int AS bad_deployments,
        (SELECT count(*) FROM "PipelineRun" r WHERE r.simulated AND r.status = 'done' AND NOT EXISTS (SELECT 1 FROM "Deployment" d WHERE d."runId" = r.id AND d.status = 'promoted'))::int AS done_without_deploy,
        (SELECT count(*) FROM "Escalation" e JOIN "PipelineRun" r ON r.id = e."runId" WHERE r.simulated AND e.status = 'approved' AND NOT EXISTS (SELECT 1 FROM "EscalationDecision" x WHERE x."escalationId" = e.id))::int AS approvals_without_decision
    `);
    expect(problems).toEqual({ unmarked: 0, unfinished: 0, bad_attempts: 0, open_escalations: 0, bad_deployments: 0, done_without_deploy: 0, approvals_without_decision: 0 });
    const events = await t.db.auditEvent.findMany({ where: { action: { startsWith: "simulation." } } });
    expect(events.map((e) => e.action)).toEqual(["simulation.generated"]);
    expect(payloadOf(events[0].content)).toMatchObject({ seed: SEED, days: 70, runs: await countSimulatedRuns(t.db) });
    await expect(simulateHistory(t.db, { days: 1, prsPerDay: 1, seed: 1, now, actor })).rejects.toBeInstanceOf(SimulatedHistoryExistsError);
  });

  it("the same seed generates the same history", async () => {
    const { generateHistory } = await import("@/lib/simulation/history-model");
    const a = generateHistory({ days: 14, prsPerDay: 5, seed: 99, now, deciders: 2 });
    const b = generateHistory({ days: 14, prsPerDay: 5, seed: 99, now, deciders: 2 });
    expect(b).toEqual(a);
    expect(generateHistory({ days: 14, prsPerDay: 5, seed: 100, now, deciders: 2 }).runs.length).not.toBe(0);
  });

  // Last: it removes the simulated history the tests above read.
  it("deleting removes exactly the simulated runs, their pull requests and repositories", async () => {
    const before = await t.db.pipelineRun.count({ where: { simulated: false } });
    const result = await deleteSimulatedHistory(t.db, { actor });
    expect(result.runs).toBeGreaterThan(500);
    expect(result.repositories).toBe(4);
    expect(await countSimulatedRuns(t.db)).toBe(0);
    expect((await t.db.pipelineRun.findMany({ where: { simulated: false }, select: { id: true } })).map((r) => r.id).sort()).toEqual([...realRunIds].sort());
    expect(await t.db.pipelineRun.count({ where: { simulated: false } })).toBe(before);
    const [orphans] = await t.sql<{ stage_runs: number; escalations: number; deployments: number; pull_requests: number; repositories: number }>(`
      SELECT (SELECT count(*) FROM "StageRun")::int AS stage_runs, (SELECT count(*) FROM "Escalation")::int AS escalations,
             (SELECT count(*) FROM "Deployment")::int AS deployments, (SELECT count(*) FROM "PullRequest")::int AS pull_requests,
             (SELECT count(*) FROM "Repository")::int AS repositories`);
    // What is left is exactly the hand-built real history.
    expect(orphans).toEqual({ stage_runs: 5, escalations: 1, deployments: 3, pull_requests: 3, repositories: 1 });
    expect((await t.db.auditEvent.findMany({ where: { action: "simulation.deleted" } })).map((e) => payloadOf(e.content))).toEqual([result]);
    expect(await deleteSimulatedHistory(t.db, { actor })).toEqual({ runs: 0, pullRequests: 0, repositories: 0 });
  });

  it("after the deletion the numbers equal the reference, before the next refresh and after it", async () => {
    // The deletion reopened every day a simulated row counted on; those are read live now.
    const [reopened] = await t.sql<{ listed: number; simulated_listed: number }>(
      `SELECT count(*)::int AS listed,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM "MetricsDailyRollup" u WHERE u.day = m.day AND u.simulated))::int AS simulated_listed
         FROM "MetricsRollupDay" m`,
    );
    expect(reopened.simulated_listed).toBe(0);
    expect(reopened.listed).toBeGreaterThan(0);
    for (const [, query] of queries) await expectEqualToReference(query);
    const refresh = await refreshMetricsRollup(t.db);
    expect(refresh.rolledUp).toBeGreaterThan(0);
    // The rollup now starts at the first real run (2026-06-01) and holds only the real runs; the
    // days before it hold nothing and are left to the live query.
    const [left] = await t.sql<{ first: string; gaps: number; simulated_rows: number; runs: number }>(
      `SELECT (SELECT to_char(min(day), 'YYYY-MM-DD') FROM "MetricsRollupDay") AS first,
              (SELECT max(day) - min(day) + 1 - count(*) FROM "MetricsRollupDay")::int AS gaps,
              (SELECT count(*) FROM "MetricsDailyRollup" WHERE simulated)::int AS simulated_rows,
              (SELECT sum("runsStarted") FROM "MetricsDailyRollup")::int AS runs`,
    );
    expect(left).toEqual({ first: "2026-06-01", gaps: 0, simulated_rows: 0, runs: 3 });
    for (const [, query] of queries) await expectEqualToReference(query);
  });
});

/**
 * Real (not simulated) runs for the edges the simulation never produces: a run still in review,
 * a promoted deployment followed by an incident with no later deployment (unrestored), and an
 * escalation still open. Returns their run ids.
 */
async function insertRealEdgeCases(t: TestDatabase): Promise<string[]> {
  const policy = await t.db.policy.findFirstOrThrow({ where: { active: true } });
  const repository = await t.db.repository.create({ data: { name: "real-shop", location: "/srv/real-shop", settings: { teams: { "@agency.example": "platform" } } } });
  const at = (text: string) => new Date(`2026-${text}:00.000Z`);
  const pr = (number: number, author: string, openedAt: Date) =>
    t.db.pullRequest.create({ data: { repositoryId: repository.id, number, title: `Real change ${number}`, author, baseRef: "main", headRef: `b${number}`, openedAt } });
  const run = (pullRequestId: string, status: "running" | "done" | "escalated", createdAt: Date, finishedAt: Date | null) =>
    t.db.pipelineRun.create({ data: { pullRequestId, baseSha: "a".repeat(40), headSha: `${status}`.padEnd(40, "0"), diff: { create: { text: "", paths: [] } }, diffBytes: 0, status, currentStage: "review", policyId: policy.id, createdAt, finishedAt } });

  const inProgress = await run((await pr(1, "ana@agency.example", at("06-10T09:00"))).id, "running", at("06-10T09:00"), null);
  await t.db.stageRun.create({ data: { runId: inProgress.id, stage: "review", attempt: 1, status: "running", queuedAt: at("06-10T09:00"), startedAt: at("06-10T09:20") } });

  const incident = await run((await pr(2, "bo@shop.example", at("06-01T08:00"))).id, "done", at("06-01T08:00"), at("06-01T14:00"));
  await t.db.stageRun.createMany({
    data: [
      { runId: incident.id, stage: "review", attempt: 1, status: "error", queuedAt: at("06-01T08:00"), startedAt: at("06-01T08:01"), finishedAt: at("06-01T08:02") },
      { runId: incident.id, stage: "review", attempt: 2, status: "passed", queuedAt: at("06-01T08:03"), startedAt: at("06-01T08:04"), finishedAt: at("06-01T08:10") },
      { runId: incident.id, stage: "deployment", attempt: 1, status: "passed", queuedAt: at("06-01T12:00"), startedAt: at("06-01T13:00"), finishedAt: at("06-01T14:00") },
    ],
  });
  await t.db.deployment.createMany({
    data: [
      { runId: incident.id, environment: "staging", strategy: "canary", target: "staging", status: "promoted", startedAt: at("06-01T12:10"), finishedAt: at("06-01T12:20") },
      { runId: incident.id, environment: "production", strategy: "canary", target: "prod", status: "promoted", startedAt: at("06-01T13:05"), finishedAt: at("06-01T14:00"), incidentReport: { summary: "checkout errors after promotion" } },
      { runId: incident.id, environment: "production", strategy: "canary", target: "prod", status: "canary", startedAt: at("06-14T10:00") },
    ],
  });

  const waiting = await run((await pr(3, "cy@shop.example", at("06-12T10:00"))).id, "escalated", at("06-12T10:00"), null);
  await t.db.stageRun.create({ data: { runId: waiting.id, stage: "review", attempt: 1, status: "escalated", queuedAt: at("06-12T10:00"), startedAt: at("06-12T10:00"), finishedAt: at("06-12T10:05") } });
  await t.db.escalation.create({
    data: { runId: waiting.id, stage: "review", reasons: ["api_break"], reasonLabels: ["API break"], contextPackage: {}, contextHash: "0".repeat(64), dueAt: at("06-12T14:05"), createdAt: at("06-12T10:05") },
  });
  return [inProgress.id, incident.id, waiting.id];
}
