import { addBusinessHours } from "../escalations/business-hours";
import { stages, type Stage } from "../pipeline/stages";
import { SeededRandom } from "./random";

/**
 * A simulated pipeline history, generated in memory from a seed: pull requests arriving on
 * working days, each driven through the five stages with queue waits, agent work, escalations
 * that people decide in business hours, production deployments, rollbacks and incidents, and
 * reworked pull requests coming back as new runs. Its parameters move from a "before" state to an
 * "after" state over the period, after the source case study (PR to production 4.2 days → 6.4 h,
 * human review rate falling to 11%, rollbacks about 2% of deployments), so trends are visible.
 *
 * Only work that has finished by `now` is kept: a run that would still be going on is dropped
 * (with the rest of its pull request), so simulated runs never reach the inbox or the active board.
 */

export interface SimulatedRepository {
  id: string;
  name: string;
  teams: Record<string, string>;
}
export interface SimulatedPullRequest {
  id: string;
  repositoryId: string;
  number: number;
  title: string;
  author: string;
  headRef: string;
  openedAt: Date;
}
export interface SimulatedRun {
  id: string;
  pullRequestId: string;
  headSha: string;
  status: "done" | "rejected" | "changes_requested" | "failed" | "rolled_back" | "superseded";
  currentStage: Stage;
  riskScore: number;
  supersededBy: string | null;
  createdAt: Date;
  finishedAt: Date;
}
export interface SimulatedStageRun {
  id: string;
  runId: string;
  stage: Stage;
  attempt: number;
  status: "passed" | "escalated" | "failed" | "rolled_back" | "error" | "cancelled";
  summary: string;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date;
}
export interface SimulatedEscalation {
  id: string;
  runId: string;
  stage: Stage;
  reasons: string[];
  status: "approved" | "rejected" | "changes_requested" | "cancelled";
  createdAt: Date;
  decidedAt: Date;
  dueAt: Date;
  decisions: { id: string; userIndex: number; decision: "approve" | "reject" | "request_changes"; createdAt: Date }[];
}
export interface SimulatedDeployment {
  id: string;
  runId: string;
  status: "promoted" | "rolled_back";
  startedAt: Date;
  finishedAt: Date;
  rollbackReason: string | null;
  incidentReport: Record<string, unknown> | null;
}
export interface SimulatedHistory {
  repositories: SimulatedRepository[];
  pullRequests: SimulatedPullRequest[];
  runs: SimulatedRun[];
  stageRuns: SimulatedStageRun[];
  escalations: SimulatedEscalation[];
  deployments: SimulatedDeployment[];
}

export interface HistoryModelOptions {
  days: number;
  prsPerDay: number;
  seed: number;
  now: Date;
  /** People who can decide escalations (their decisions are recorded by index into this list). */
  deciders: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const repositoryPlan: { name: string; teams: string[]; mapping: Record<string, string> }[] = [
  { name: "sim-payments", teams: ["payments", "payments", "platform"], mapping: {} },
  { name: "sim-storefront", teams: ["storefront", "storefront", "search"], mapping: {} },
  { name: "sim-search", teams: ["search", "search", "storefront"], mapping: {} },
  // Contractors' pull requests count for the team the repository's mapping names.
  { name: "sim-platform", teams: ["platform", "platform", "contractor"], mapping: { "@contractor.example": "platform" } },
];
const people = ["ana", "bo", "cy", "dee", "eli", "fay", "gus", "hal"];
const subjects = ["checkout totals", "refund webhooks", "search ranking", "cart badge", "rate limiter", "session cookies", "product feed", "retry budget", "order export", "cache headers", "currency rounding", "audit fields"];
const verbs = ["Fix", "Add", "Refactor", "Speed up", "Harden", "Clean up", "Rework"];

const reasonWeightsBefore = { model_requested_review: 34, high_risk: 28, unreviewed_files: 12, api_break: 10, schema_change: 10, new_integration: 6 };
const reasonWeightsAfter = { model_requested_review: 8, high_risk: 34, unreviewed_files: 3, api_break: 20, schema_change: 25, new_integration: 10 };
/** How likely a person approves an escalation of this reason unchanged, relative to the base rate. */
const falseEscalationFactor: Record<string, number> = { model_requested_review: 1.7, unreviewed_files: 1.4, high_risk: 1, new_integration: 0.6, api_break: 0.5, schema_change: 0.5 };

/** Queue wait medians in minutes: the shared staging environment and deploy windows dominated before. */
const queueMinutes: Record<Stage, [number, number]> = { review: [60, 3], test: [120, 8], staging: [2700, 25], validation: [120, 8], deployment: [1500, 20] };
const agentMinutes: Record<Stage, number> = { review: 4, test: 12, staging: 14, validation: 9, deployment: 16 };

const lerp = (before: number, after: number, k: number) => before + (after - before) * k;

/** How far the organisation has come at fraction `p` of the period: fast at first, then levelling off. */
export function improvement(p: number): number {
  return (1 - Math.exp(-3.5 * p)) / (1 - Math.exp(-3.5));
}

export function generateHistory(options: HistoryModelOptions): SimulatedHistory {
  const rng = new SeededRandom(options.seed);
  const tag = `sim${options.seed.toString(36)}`;
  let counter = 0;
  const id = (kind: string) => `${tag}${kind}${(counter++).toString(36)}`;
  const history: SimulatedHistory = { repositories: [], pullRequests: [], runs: [], stageRuns: [], escalations: [], deployments: [] };

  const repositories = repositoryPlan.map((plan) => ({ plan, repository: { id: id("repo"), name: plan.name, teams: plan.mapping }, nextNumber: 1 }));
  history.repositories = repositories.map((r) => r.repository);

  const end = options.now.getTime();
  const start = end - options.days * DAY;
  for (let day = 0; day < options.days; day++) {
    const dayStart = new Date(start + day * DAY);
    dayStart.setUTCHours(0, 0, 0, 0);
    const weekend = [0, 6].includes(dayStart.getUTCDay());
    // Weekdays carry the load (7/5.5 of the mean), weekends a quarter of a weekday.
    const expected = options.prsPerDay * (weekend ? 0.25 : 1) * (7 / 5.5);
    const count = Math.max(0, Math.round(expected + rng.normal() * Math.sqrt(expected)));
    for (let i = 0; i < count; i++) {
      const openedAt = new Date(dayStart.getTime() + (7 + rng.next() * 12) * HOUR);
      if (openedAt.getTime() < start || openedAt.getTime() >= end) continue;
      const k = improvement((openedAt.getTime() - start) / (end - start));
      const home = rng.pick(repositories);
      const team = rng.pick(home.plan.teams);
      const author = team === "contractor" ? `${rng.pick(people)}@contractor.example` : `${rng.pick(people)}@${team}.acme.example`;
      const pullRequest: SimulatedPullRequest = {
        id: id("pr"),
        repositoryId: home.repository.id,
        number: home.nextNumber++,
        title: `${rng.pick(verbs)} ${rng.pick(subjects)}`,
        author,
        headRef: `sim/${rng.hex(8)}`,
        openedAt,
      };
      simulatePullRequest(pullRequest, k);
    }
  }
  return history;

  /** Runs for one pull request until it ships, is rejected, is abandoned, or would outlive `now`. */
  function simulatePullRequest(pullRequest: SimulatedPullRequest, k: number) {
    const pending = { runs: [] as SimulatedRun[], stageRuns: [] as SimulatedStageRun[], escalations: [] as SimulatedEscalation[], deployments: [] as SimulatedDeployment[] };
    let runStart = pullRequest.openedAt;
    for (let attempt = 0; attempt < 4; attempt++) {
      const result = simulateRun(pullRequest, runStart, k);
      if (result.run.finishedAt.getTime() > end) break;
      const previous = pending.runs.at(-1);
      if (previous?.status === "superseded") previous.supersededBy = result.run.id;
      pending.runs.push(result.run);
      pending.stageRuns.push(...result.stageRuns);
      pending.escalations.push(...result.escalations);
      pending.deployments.push(...result.deployments);
      if (!result.next) break;
      runStart = result.next;
    }
    if (pending.runs.length === 0) return;
    const last = pending.runs.at(-1)!;
    if (last.status === "superseded") last.supersededBy = null;
    history.pullRequests.push(pullRequest);
    history.runs.push(...pending.runs);
    history.stageRuns.push(...pending.stageRuns);
    history.escalations.push(...pending.escalations);
    history.deployments.push(...pending.deployments);
  }

  function simulateRun(pullRequest: SimulatedPullRequest, createdAt: Date, k: number) {
    const run: SimulatedRun = {
      id: id("run"),
      pullRequestId: pullRequest.id,
      headSha: rng.hex(40),
      status: "done",
      currentStage: "review",
      riskScore: 1,
      supersededBy: null,
      createdAt,
      finishedAt: createdAt,
    };
    const stageRuns: SimulatedStageRun[] = [];
    const escalations: SimulatedEscalation[] = [];
    const deployments: SimulatedDeployment[] = [];
    let cursor = createdAt;
    const finish = (status: SimulatedRun["status"], stage: Stage, at: Date) => {
      run.status = status;
      run.currentStage = stage;
      run.finishedAt = at;
    };
    const rework = (from: Date) => new Date(from.getTime() + rng.logNormal(5 * HOUR, 0.8));

    for (const stage of stages) {
      let attempt = 1;
      // Superseded by a newer head while still queued for review.
      if (stage === "review" && rng.chance(0.03)) {
        const at = new Date(cursor.getTime() + rng.logNormal(20 * MINUTE, 1));
        stageRuns.push({ id: id("st"), runId: run.id, stage, attempt, status: "cancelled", summary: "cancelled: superseded by a newer head", queuedAt: cursor, startedAt: null, finishedAt: at });
        finish("superseded", stage, at);
        return { run, stageRuns, escalations, deployments, next: at };
      }
      // An agent error now and then: retried after a short backoff.
      if (rng.chance(0.03)) {
        const startedAt = new Date(cursor.getTime() + queueWait(stage, k));
        const failedAt = new Date(startedAt.getTime() + rng.logNormal(agentMinutes[stage] * MINUTE * 0.4, 0.5));
        stageRuns.push({ id: id("st"), runId: run.id, stage, attempt, status: "error", summary: "simulated: agent error (provider timeout), retried", queuedAt: cursor, startedAt, finishedAt: failedAt });
        cursor = new Date(failedAt.getTime() + 2000);
        attempt = 2;
      }
      const queuedAt = cursor;
      const startedAt = new Date(queuedAt.getTime() + queueWait(stage, k));
      const finishedAt = new Date(startedAt.getTime() + rng.logNormal(agentMinutes[stage] * MINUTE, 0.5));
      const stageRun: SimulatedStageRun = { id: id("st"), runId: run.id, stage, attempt, status: "passed", summary: `simulated: ${stage} passed`, queuedAt, startedAt, finishedAt };
      stageRuns.push(stageRun);
      cursor = finishedAt;

      if (stage === "test" && rng.chance(lerp(0.08, 0.03, k))) {
        stageRun.status = "failed";
        stageRun.summary = "simulated: tests failed";
        finish("failed", stage, finishedAt);
        return { run, stageRuns, escalations, deployments, next: rework(finishedAt) };
      }

      if (stage === "deployment") {
        const deployStart = new Date(startedAt.getTime() + MINUTE);
        const rolledBack = rng.chance(lerp(0.055, 0.02, k));
        const deployment: SimulatedDeployment = {
          id: id("dep"),
          runId: run.id,
          status: rolledBack ? "rolled_back" : "promoted",
          startedAt: deployStart,
          finishedAt: finishedAt,
          rollbackReason: null,
          incidentReport: null,
        };
        deployments.push(deployment);
        if (rolledBack) {
          const errorRate = 0.5 + rng.next() * 2;
          deployment.rollbackReason = `canary error rate ${errorRate.toFixed(2)}% > 0.5%`;
          deployment.incidentReport = {
            simulated: true,
            summary: `Canary rolled back automatically: error rate ${errorRate.toFixed(2)}% against a 0.5% threshold`,
            detectedAt: new Date(finishedAt.getTime() - 2 * MINUTE).toISOString(),
            metric: "error_rate",
            threshold: 0.5,
            observed: Number(errorRate.toFixed(2)),
          };
          stageRun.status = "rolled_back";
          stageRun.summary = "simulated: canary rolled back";
          finish("rolled_back", stage, finishedAt);
          return { run, stageRuns, escalations, deployments, next: rework(finishedAt) };
        }
        if (rng.chance(lerp(0.02, 0.005, k))) {
          // Promoted, then an incident: fixed forward by the next deployment.
          deployment.incidentReport = {
            simulated: true,
            summary: "Incident after promotion: elevated checkout errors, fixed forward",
            detectedAt: new Date(finishedAt.getTime() + rng.logNormal(3 * HOUR, 1)).toISOString(),
            metric: "error_rate",
          };
        }
        stageRun.summary = "simulated: canary promoted to 100%";
        finish("done", stage, finishedAt);
        return { run, stageRuns, escalations, deployments, next: null };
      }

      const reasons = escalationReasons(stage, k);
      if (stage === "review") run.riskScore = reasons.includes("high_risk") ? rng.int(7, 10) : rng.int(1, 6);
      if (reasons.length === 0) continue;

      stageRun.status = "escalated";
      stageRun.summary = `simulated: escalated (${reasons.join(", ")})`;
      const createdAtEscalation = finishedAt;
      const decidedAt = new Date(addBusinessHours(createdAtEscalation, rng.logNormal(lerp(22, 2, k), 0.9)).getTime() + rng.int(0, 10) * MINUTE);
      const escalation: SimulatedEscalation = {
        id: id("esc"),
        runId: run.id,
        stage,
        reasons,
        status: "approved",
        createdAt: createdAtEscalation,
        decidedAt,
        dueAt: addBusinessHours(createdAtEscalation, 4),
        decisions: [],
      };
      escalations.push(escalation);
      if (rng.chance(0.03)) {
        // Superseded by a newer head while waiting for a person.
        const at = new Date(createdAtEscalation.getTime() + rng.next() * (decidedAt.getTime() - createdAtEscalation.getTime()));
        escalation.status = "cancelled";
        escalation.decidedAt = at;
        finish("superseded", stage, at);
        return { run, stageRuns, escalations, deployments, next: at };
      }
      const approveProbability = Math.min(0.9, lerp(0.34, 0.1, k) * (falseEscalationFactor[reasons[0]] ?? 1));
      const decision = rng.chance(approveProbability) ? "approve" : rng.chance(0.75) ? "request_changes" : "reject";
      const deciders = options.deciders;
      if (deciders > 0) {
        const first = rng.int(0, deciders - 1);
        escalation.decisions.push({ id: id("dec"), userIndex: first, decision, createdAt: decidedAt });
        // The default policy needs a second approval for schema changes.
        if (decision === "approve" && reasons.includes("schema_change") && deciders > 1) {
          escalation.decisions.unshift({ id: id("dec"), userIndex: (first + 1) % deciders, decision, createdAt: new Date(decidedAt.getTime() - rng.int(5, 90) * MINUTE) });
        }
      }
      if (decision === "approve") {
        cursor = decidedAt;
        continue;
      }
      escalation.status = decision === "reject" ? "rejected" : "changes_requested";
      finish(escalation.status, stage, decidedAt);
      return { run, stageRuns, escalations, deployments, next: decision === "reject" ? null : rework(decidedAt) };
    }
    return { run, stageRuns, escalations, deployments, next: null };
  }

  function queueWait(stage: Stage, k: number): number {
    const [before, after] = queueMinutes[stage];
    return rng.logNormal(lerp(before, after, k) * MINUTE, 0.8);
  }

  function escalationReasons(stage: Stage, k: number): string[] {
    switch (stage) {
      case "review": {
        if (!rng.chance(lerp(0.4, 0.09, k))) return [];
        const weights = Object.fromEntries(
          Object.keys(reasonWeightsBefore).map((key) => [key, lerp(reasonWeightsBefore[key as keyof typeof reasonWeightsBefore], reasonWeightsAfter[key as keyof typeof reasonWeightsAfter], k)]),
        ) as Record<keyof typeof reasonWeightsBefore, number>;
        const first = rng.weighted(weights);
        if (!rng.chance(0.2)) return [first];
        const second = rng.weighted(weights);
        return second === first ? [first] : [first, second];
      }
      case "test":
        return rng.chance(lerp(0.04, 0.01, k)) ? ["coverage_gap"] : [];
      case "staging":
      case "validation":
        return rng.chance(lerp(0.03, 0.005, k)) ? ["staging_regression"] : [];
      default:
        return [];
    }
  }
}
