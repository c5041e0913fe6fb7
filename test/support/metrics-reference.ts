import { addCount, emptyPeriodStats, emptyStageTimes, leadTimeStats, percentileCont, type MetricsReport, type PeriodStats, type StageTime } from "../../lib/metrics/report";
import { bucketKey, bucketKeys, type MetricsFilters, type MetricsWindow } from "../../lib/metrics/window";

/**
 * The metric definitions as plain code over a run history held in memory. This is the
 * specification: unit tests check it against hand-built histories with known answers, and an
 * integration test checks that the SQL aggregation the API uses (lib/metrics/query-metrics.ts)
 * returns the same report on the same rows. A test oracle: no production code uses it.
 * Definitions: docs/decisions/008-metrics-definitions.md.
 */

export interface HistoryStageRun {
  stage: string;
  attempt: number;
  status: string;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface HistoryEscalation {
  id: string;
  stage: string;
  reasons: string[];
  status: string;
  createdAt: Date;
  decidedAt: Date | null;
}

export interface HistoryDeployment {
  id: string;
  environment: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  incident: boolean;
}

/** Where a change's lead time starts: its first commit when known and earlier than the opening. */
function leadStart(run: HistoryRun): Date {
  const firstCommit = run.pullRequestFirstCommitAt;
  return firstCommit && firstCommit < run.pullRequestOpenedAt ? firstCommit : run.pullRequestOpenedAt;
}

export interface HistoryRun {
  id: string;
  repository: string;
  team: string;
  simulated: boolean;
  pullRequestOpenedAt: Date;
  /** The first commit's time from the code host; null for pull requests submitted through the API. */
  pullRequestFirstCommitAt?: Date | null;
  createdAt: Date;
  stageRuns: HistoryStageRun[];
  escalations: HistoryEscalation[];
  deployments: HistoryDeployment[];
}

/** Stage attempt statuses that carry a verdict on the change (an agent error is not one). */
export const verdictStageStatuses = ["passed", "escalated", "failed", "rolled_back"] as const;
/** Escalation statuses a person decided; `cancelled` (the run was superseded) is not a decision. */
export const decidedEscalationStatuses = ["approved", "rejected", "changes_requested"] as const;
/** Production deployments that have ended one way or the other. */
export const finishedDeploymentStatuses = ["promoted", "rolled_back", "failed"] as const;

const HOUR_MS = 3_600_000;
const hoursBetween = (from: Date, to: Date) => (to.getTime() - from.getTime()) / HOUR_MS;
const includes = (list: readonly string[], value: string) => list.includes(value);

export function isChangeFailure(deployment: Pick<HistoryDeployment, "status" | "incident">): boolean {
  return deployment.status === "rolled_back" || deployment.incident;
}

function matchesFilters(run: HistoryRun, filters: MetricsFilters): boolean {
  if (filters.repository && run.repository !== filters.repository) return false;
  if (filters.team && run.team !== filters.team) return false;
  if (filters.simulated === "exclude" && run.simulated) return false;
  if (filters.simulated === "only" && !run.simulated) return false;
  return true;
}

/**
 * When production was restored after a change failure: the rollback's end for a finished rollback,
 * else the end of the next successful production deployment of the same repository (the first to
 * start after the failure). Null while neither has happened.
 */
export function restoredAt(failure: HistoryDeployment & { repository: string }, production: readonly (HistoryDeployment & { repository: string })[]): Date | null {
  if (failure.status === "rolled_back" && failure.finishedAt) return failure.finishedAt;
  let next: (HistoryDeployment & { repository: string }) | null = null;
  for (const candidate of production) {
    if (candidate.repository !== failure.repository || candidate.status !== "promoted") continue;
    if (candidate.startedAt.getTime() <= failure.startedAt.getTime()) continue;
    if (!next || candidate.startedAt.getTime() < next.startedAt.getTime()) next = candidate;
  }
  return next?.finishedAt ?? null;
}

interface Accumulator {
  stats: PeriodStats;
  leadHours: number[];
  restoreHours: number[];
}

const newAccumulator = (): Accumulator => ({ stats: emptyPeriodStats(), leadHours: [], restoreHours: [] });

function finish(acc: Accumulator): PeriodStats {
  return {
    ...acc.stats,
    leadTime: leadTimeStats(acc.leadHours),
    restore: { ...acc.stats.restore, medianHours: percentileCont(acc.restoreHours, 0.5) },
  };
}

export function computeReport(history: readonly HistoryRun[], window: MetricsWindow, filters: MetricsFilters): MetricsReport {
  const current = newAccumulator();
  const previous = newAccumulator();
  const buckets = new Map(bucketKeys(window).map((key) => [key, newAccumulator()]));
  const stageBuckets = new Map(bucketKeys(window).map((key) => [key, new Map<string, StageTime>()]));
  const stageTotals = new Map<string, StageTime>();

  const inCurrent = (at: Date) => at >= window.from && at < window.to;
  const inPrevious = (at: Date) => at >= window.previousFrom && at < window.from;
  /** The accumulators an event at `at` counts in: its period's and, in the current period, its bucket's. */
  const targets = (at: Date | null): Accumulator[] => {
    if (!at) return [];
    if (inPrevious(at)) return [previous];
    if (!inCurrent(at)) return [];
    return [current, buckets.get(bucketKey(at, window.bucket))!];
  };
  const stageTime = (bucket: string, stage: string) => {
    const byStage = stageBuckets.get(bucket)!;
    if (!byStage.has(stage)) byStage.set(stage, { stage, runs: 0, queueHours: 0, agentHours: 0, humanHours: 0 });
    if (!stageTotals.has(stage)) stageTotals.set(stage, { stage, runs: 0, queueHours: 0, agentHours: 0, humanHours: 0 });
    return [byStage.get(stage)!, stageTotals.get(stage)!];
  };

  // Restoration looks at every production deployment of the repository, whatever the filters.
  const production = history.flatMap((run) => run.deployments.filter((d) => d.environment === "production").map((d) => ({ ...d, repository: run.repository })));

  for (const run of history) {
    if (!matchesFilters(run, filters)) continue;

    // Runs, by when they were created.
    const firstEscalation = [...run.escalations].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))[0];
    const decided = Boolean(firstEscalation) || run.stageRuns.some((s) => includes(verdictStageStatuses, s.status));
    for (const acc of targets(run.createdAt)) {
      acc.stats.runsStarted += 1;
      if (decided) acc.stats.runsDecided += 1;
      if (firstEscalation) {
        acc.stats.runsEscalated += 1;
        addCount(acc.stats.escalatedByPrimaryReason, firstEscalation.reasons[0] ?? "unknown");
      }
    }

    // Escalations: reasons by creation, decisions by decision time.
    for (const escalation of run.escalations) {
      for (const acc of targets(escalation.createdAt)) for (const reason of escalation.reasons) addCount(acc.stats.escalationReasons, reason);
      if (includes(decidedEscalationStatuses, escalation.status)) {
        for (const acc of targets(escalation.decidedAt)) {
          acc.stats.escalationsDecided += 1;
          if (escalation.status === "approved") acc.stats.escalationsApproved += 1;
        }
      }
    }

    // Production deployments, by when they started; ones still under way count nowhere yet.
    for (const deployment of run.deployments) {
      if (deployment.environment !== "production" || !includes(finishedDeploymentStatuses, deployment.status)) continue;
      for (const acc of targets(deployment.startedAt)) {
        acc.stats.deployments += 1;
        if (deployment.status === "promoted") {
          acc.stats.deploymentsPromoted += 1;
          if (deployment.finishedAt) acc.leadHours.push(hoursBetween(leadStart(run), deployment.finishedAt));
        }
        if (deployment.status === "rolled_back") acc.stats.rollbacks += 1;
        if (isChangeFailure(deployment)) {
          acc.stats.changeFailures += 1;
          const restored = restoredAt({ ...deployment, repository: run.repository }, production);
          if (restored) {
            acc.stats.restore.restored += 1;
            acc.restoreHours.push(hoursBetween(deployment.startedAt, restored));
          } else {
            acc.stats.restore.unrestored += 1;
          }
        }
      }
    }

    // Where the time goes, in the current period only: queue and agent time by when the attempt
    // was queued, human time by when the escalation was raised (decided or cancelled ones only),
    // runs by when their first attempt of the stage was queued.
    for (const attempt of run.stageRuns) {
      if (!inCurrent(attempt.queuedAt)) continue;
      for (const time of stageTime(bucketKey(attempt.queuedAt, window.bucket), attempt.stage)) {
        // A run enters a stage with its first attempt; retries add time, not runs.
        if (attempt.attempt === 1) time.runs += 1;
        const left = attempt.startedAt ?? attempt.finishedAt;
        if (left) time.queueHours += hoursBetween(attempt.queuedAt, left);
        if (attempt.startedAt && attempt.finishedAt) time.agentHours += hoursBetween(attempt.startedAt, attempt.finishedAt);
      }
    }
    for (const escalation of run.escalations) {
      if (!escalation.decidedAt || !inCurrent(escalation.createdAt)) continue;
      for (const time of stageTime(bucketKey(escalation.createdAt, window.bucket), escalation.stage)) {
        time.humanHours += hoursBetween(escalation.createdAt, escalation.decidedAt);
      }
    }
  }

  const stageList = (byStage: Map<string, StageTime> | undefined): StageTime[] => emptyStageTimes().map((empty) => byStage?.get(empty.stage) ?? empty);

  return {
    window: { from: window.from.toISOString(), to: window.to.toISOString(), previousFrom: window.previousFrom.toISOString(), days: window.days, bucket: window.bucket },
    filters,
    current: finish(current),
    previous: finish(previous),
    series: [...buckets.entries()].map(([bucket, acc]) => ({ bucket, ...finish(acc) })),
    stageTotals: stageList(stageTotals),
    stageSeries: [...stageBuckets.entries()].map(([bucket, byStage]) => ({ bucket, stages: stageList(byStage) })),
  };
}
