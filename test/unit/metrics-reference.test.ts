import { describe, expect, it } from "vitest";
import { headlineCards, headlineValues } from "@/lib/metrics/headline";
import { computeReport, restoredAt, type HistoryDeployment, type HistoryEscalation, type HistoryRun, type HistoryStageRun } from "../support/metrics-reference";
import { resolveWindow, type MetricsFilters } from "@/lib/metrics/window";

// A hand-built history whose answers are worked out by hand below. The period is the two weeks
// from Monday 2 March 2026 (weeks of 2 and 9 March); the previous period is the two weeks before.
const t = (text: string) => new Date(`2026-${text}:00.000Z`);
const window = resolveWindow({ from: "2026-03-02", to: "2026-03-16", bucket: "week", simulated: "include" });
const all: MetricsFilters = { repository: null, team: null, simulated: "include" };

let ids = 0;
function stage(stageName: string, status: string, queued: string, started: string | null, finished: string | null): HistoryStageRun {
  return { stage: stageName, attempt: 1, status, queuedAt: t(queued), startedAt: started ? t(started) : null, finishedAt: finished ? t(finished) : null };
}
function escalation(stageName: string, reasons: string[], status: string, created: string, decided: string | null): HistoryEscalation {
  return { id: `e${++ids}`, stage: stageName, reasons, status, createdAt: t(created), decidedAt: decided ? t(decided) : null };
}
function production(status: string, started: string, finished: string | null, incident = false): HistoryDeployment {
  return { id: `d${++ids}`, environment: "production", status, startedAt: t(started), finishedAt: finished ? t(finished) : null, incident };
}
function run(id: string, opened: string, created: string, parts: Partial<Pick<HistoryRun, "stageRuns" | "escalations" | "deployments" | "repository" | "team" | "simulated">> = {}): HistoryRun {
  return {
    id,
    repository: "shop",
    team: "payments",
    simulated: false,
    pullRequestOpenedAt: t(opened),
    createdAt: t(created),
    stageRuns: [],
    escalations: [],
    deployments: [],
    ...parts,
  };
}

const history: HistoryRun[] = [
  // Previous period: one deployment with a 10 h lead time.
  run("r0", "02-20T08:00", "02-20T08:00", {
    stageRuns: [stage("review", "passed", "02-20T08:00", "02-20T08:01", "02-20T08:05")],
    deployments: [production("promoted", "02-20T17:30", "02-20T18:00")],
  }),
  // Straight through: review 10 min queue + 10 min agent, test 10 + 30; lead time 2.5 h.
  run("r1", "03-02T09:00", "03-02T09:00", {
    stageRuns: [stage("review", "passed", "03-02T09:00", "03-02T09:10", "03-02T09:20"), stage("test", "passed", "03-02T09:20", "03-02T09:30", "03-02T10:00")],
    deployments: [{ ...production("promoted", "03-02T11:00", "03-02T11:30"), environment: "production" }, { ...production("promoted", "03-02T10:30", "03-02T10:40"), environment: "staging" }],
  }),
  // Rejected after 4 h with a person; two reasons, the first is the primary one.
  run("r2", "03-03T10:00", "03-03T10:00", {
    stageRuns: [stage("review", "escalated", "03-03T10:00", "03-03T10:05", "03-03T10:20")],
    escalations: [escalation("review", ["schema_change", "high_risk"], "rejected", "03-03T10:20", "03-03T14:20")],
  }),
  // A false escalation, then a rollback (restored in 20 min), then a new head that deploys:
  // its lead time runs from the pull request's opening, 26.5 h.
  run("r3a", "03-04T08:00", "03-04T08:00", {
    stageRuns: [stage("review", "escalated", "03-04T08:00", "03-04T08:00", "03-04T08:10")],
    escalations: [escalation("review", ["model_requested_review"], "approved", "03-04T08:10", "03-04T12:10")],
    deployments: [production("rolled_back", "03-04T13:00", "03-04T13:20", true)],
  }),
  run("r3b", "03-04T08:00", "03-05T09:00", {
    stageRuns: [stage("review", "passed", "03-05T09:00", "03-05T09:00", "03-05T09:10")],
    deployments: [production("promoted", "03-05T10:00", "03-05T10:30")],
  }),
  // Superseded while waiting for a person: a human wait, but not a decision.
  run("r9", "03-06T10:00", "03-06T10:00", {
    stageRuns: [stage("review", "escalated", "03-06T10:00", "03-06T10:00", "03-06T10:30")],
    escalations: [escalation("review", ["high_risk"], "cancelled", "03-06T10:30", "03-06T12:30")],
  }),
  // Superseded before its first verdict: queued 1 h, then cancelled; no verdict.
  run("rsup", "03-06T11:00", "03-06T11:00", { stageRuns: [stage("review", "cancelled", "03-06T11:00", null, "03-06T12:00")] }),
  // Still in progress: its queue wait counts, its agent work not yet, and it has no verdict.
  run("r4", "03-10T09:00", "03-10T09:00", { stageRuns: [stage("review", "running", "03-10T09:00", "03-10T09:30", null)] }),
  // Promoted, then an incident: restored when the next deployment of the repository finished.
  run("r5", "03-11T08:00", "03-11T08:00", {
    stageRuns: [stage("review", "passed", "03-11T08:00", "03-11T08:00", "03-11T08:10")],
    deployments: [production("promoted", "03-11T12:00", "03-11T12:30", true)],
  }),
  run("r6", "03-12T07:00", "03-12T07:00", {
    stageRuns: [stage("review", "passed", "03-12T07:00", "03-12T07:00", "03-12T07:10")],
    deployments: [production("promoted", "03-12T09:00", "03-12T09:45")],
  }),
  // Another repository and team: a failed deployment (not a change failure), and a rollback
  // that never finished and was never followed by a good deployment (unrestored).
  run("r7", "03-13T08:00", "03-13T08:00", {
    repository: "web",
    team: "frontend",
    stageRuns: [stage("review", "passed", "03-13T08:00", "03-13T08:00", "03-13T08:10")],
    deployments: [production("failed", "03-13T09:00", "03-13T09:05")],
  }),
  run("r8", "03-13T09:00", "03-13T09:00", {
    repository: "web",
    team: "frontend",
    simulated: true,
    stageRuns: [stage("review", "passed", "03-13T09:00", "03-13T09:00", "03-13T09:10")],
    deployments: [production("rolled_back", "03-13T10:00", null, true), production("deploying", "03-13T11:00", null)],
  }),
];

describe("metrics over a hand-built history", () => {
  const report = computeReport(history, window, all);

  it("counts runs, verdicts and escalations by when runs started", () => {
    expect(report.current.runsStarted).toBe(11);
    // r4 (still in review) and rsup (superseded before a verdict) have none.
    expect(report.current.runsDecided).toBe(9);
    expect(report.current.runsEscalated).toBe(3);
    expect(report.current.escalatedByPrimaryReason).toEqual({ schema_change: 1, model_requested_review: 1, high_risk: 1 });
    expect(report.current.escalationReasons).toEqual({ schema_change: 1, high_risk: 2, model_requested_review: 1 });
    expect(headlineValues(report.current, 14).escalationRate).toBeCloseTo(3 / 9, 10);
  });

  it("counts false escalations among decided ones, leaving out cancelled ones", () => {
    expect(report.current.escalationsDecided).toBe(2);
    expect(report.current.escalationsApproved).toBe(1);
    expect(headlineValues(report.current, 14).falseEscalationShare).toBe(0.5);
  });

  it("counts finished production deployments only, and derives the DORA rates", () => {
    expect(report.current.deployments).toBe(7);
    expect(report.current.deploymentsPromoted).toBe(4);
    expect(report.current.rollbacks).toBe(2);
    expect(report.current.changeFailures).toBe(3);
    const values = headlineValues(report.current, 14);
    expect(values.rollbackRate).toBeCloseTo(2 / 7, 10);
    expect(values.changeFailureRate).toBeCloseTo(3 / 7, 10);
    expect(values.deploymentsPerDay).toBeCloseTo(4 / 14, 10);
  });

  it("measures lead time from the pull request's opening, across a rollback and a redeploy", () => {
    // 2.5 (r1), 26.5 (r3b), 4.5 (r5), 2.75 (r6)
    expect(report.current.leadTime.count).toBe(4);
    expect(report.current.leadTime.meanHours).toBeCloseTo(36.25 / 4, 10);
    expect(report.current.leadTime.medianHours).toBeCloseTo(3.625, 10);
    expect(report.current.leadTime.p90Hours).toBeCloseTo(4.5 + 0.7 * 22, 10);
  });

  it("measures time to restore to the rollback's end or the next good deployment, and counts unrestored failures", () => {
    expect(report.current.restore).toMatchObject({ restored: 2, unrestored: 1 });
    expect(report.current.restore.medianHours).toBeCloseTo((20 / 60 + 21.75) / 2, 10);
  });

  it("compares with the previous period", () => {
    expect(report.previous.runsStarted).toBe(1);
    expect(report.previous.leadTime).toEqual({ count: 1, meanHours: 10, medianHours: 10, p90Hours: 10 });
    const cards = headlineCards(report.current, report.previous, window.days);
    const lead = cards.find((c) => c.key === "lead_time")!;
    expect(lead.value).toBeCloseTo(9.0625, 10);
    expect(lead.previous).toBe(10);
    expect(lead.change).toBeCloseTo(-0.09375, 10);
    expect(lead.improved).toBe(true);
    const frequency = cards.find((c) => c.key === "deployment_frequency")!;
    expect(frequency.change).toBeCloseTo(3, 10);
    expect(frequency.improved).toBe(true);
    // No escalations were decided before: no share, so no change either.
    expect(cards.find((c) => c.key === "false_escalations")!.change).toBeNull();
  });

  it("splits the period into weekly buckets", () => {
    expect(report.series.map((b) => b.bucket)).toEqual(["2026-03-02", "2026-03-09"]);
    const [first, second] = report.series;
    expect(first.runsStarted).toBe(6);
    expect(second.runsStarted).toBe(5);
    expect(first.deployments).toBe(3);
    expect(second.deployments).toBe(4);
    expect(first.leadTime.medianHours).toBeCloseTo(14.5, 10);
    expect(second.restore).toEqual({ restored: 1, unrestored: 1, medianHours: 21.75 });
  });

  it("splits where the time went by stage: queue, agent and human", () => {
    const review = report.stageTotals.find((s) => s.stage === "review")!;
    // Queue: r1 10m, r2 5m, rsup 60m (until cancelled), r4 30m; everyone else 0.
    expect(review.queueHours).toBeCloseTo((10 + 5 + 60 + 30) / 60, 10);
    // Agent: r1 10, r2 15, r3a 10, r3b 10, r9 30, r5 10, r6 10, r7 10, r8 10; r4 still running.
    expect(review.agentHours).toBeCloseTo(115 / 60, 10);
    // Human: r2 4 h, r3a 4 h, r9 2 h (cancelled, still a wait).
    expect(review.humanHours).toBeCloseTo(10, 10);
    expect(review.runs).toBe(11);
    const test = report.stageTotals.find((s) => s.stage === "test")!;
    expect(test).toEqual({ stage: "test", runs: 1, queueHours: 10 / 60, agentHours: 0.5, humanHours: 0 });
    expect(report.stageTotals.map((s) => s.stage)).toEqual(["review", "test", "staging", "validation", "deployment"]);
    expect(report.stageSeries[1].stages[0].runs).toBe(5);
  });

  it("filters by repository, team and simulated", () => {
    const web = computeReport(history, window, { ...all, repository: "web" });
    expect(web.current.runsStarted).toBe(2);
    expect(web.current.deployments).toBe(2);
    const frontend = computeReport(history, window, { ...all, team: "frontend", simulated: "exclude" });
    expect(frontend.current.runsStarted).toBe(1);
    expect(frontend.current.changeFailures).toBe(0);
    const simulatedOnly = computeReport(history, window, { ...all, simulated: "only" });
    expect(simulatedOnly.current.runsStarted).toBe(1);
    expect(simulatedOnly.current.restore.unrestored).toBe(1);
  });
});

describe("metrics edge cases", () => {
  it("a period with no deployments has no rates, not zero rates", () => {
    const quiet = resolveWindow({ from: "2026-04-06", to: "2026-04-13", simulated: "include" });
    const report = computeReport(history, quiet, all);
    expect(report.current.deployments).toBe(0);
    expect(report.series).toHaveLength(7);
    const values = headlineValues(report.current, quiet.days);
    expect(values).toEqual({
      leadTimeMeanHours: null,
      leadTimeMedianHours: null,
      leadTimeP90Hours: null,
      escalationRate: null,
      falseEscalationShare: null,
      rollbackRate: null,
      changeFailureRate: null,
      deploymentsPerDay: 0,
      timeToRestoreMedianHours: null,
    });
  });

  it("an empty history gives an empty report with every bucket and stage present", () => {
    const report = computeReport([], window, all);
    expect(report.series.every((b) => b.runsStarted === 0 && b.leadTime.medianHours === null)).toBe(true);
    expect(report.stageTotals.every((s) => s.runs === 0)).toBe(true);
  });

  it("restoration ignores other repositories and earlier or unsuccessful deployments", () => {
    const failure = { ...production("failed", "03-02T10:00", "03-02T10:05", true), repository: "a" };
    const candidates = [
      { ...production("promoted", "03-02T09:00", "03-02T09:30"), repository: "a" },
      { ...production("promoted", "03-02T11:00", "03-02T11:30"), repository: "b" },
      { ...production("rolled_back", "03-02T12:00", "03-02T12:10"), repository: "a" },
      { ...production("promoted", "03-02T14:00", "03-02T14:20"), repository: "a" },
      { ...production("promoted", "03-02T13:00", "03-02T15:00"), repository: "a" },
    ];
    expect(restoredAt(failure, candidates)).toEqual(t("03-02T15:00"));
    expect(restoredAt({ ...failure, repository: "c" }, candidates)).toBeNull();
  });
});
