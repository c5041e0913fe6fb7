import { setTimeout as sleep } from "node:timers/promises";
import { rollbackDecisionSchema, type IntervalVerdict, type RollbackDecision } from "../../lib/canary";
import type { BaseCheck } from "../../lib/code-host/base-check";
import { deploymentLink } from "../../lib/app-links";
import { Prisma } from "../../lib/db/generated/client";
import { enqueueNotifications } from "../../lib/notifications/notify";
import type { EscalationReason } from "../../lib/pipeline/escalation-reasons";
import { isActiveRunStatus } from "../../lib/pipeline/stages";
import type { StageOutcome } from "../../lib/pipeline/transitions";
import type { LlmProvider } from "../llm/provider";
import { measuredDecision, type StageAgent, type StageAgentResult, type StageAssessment, type StageContext } from "../engine/stage-agent";
import { createDeployTarget, createMetricSource, deploySettingsOf, realDurationMs, type DeploySettings } from "../targets/select";
import type { DeployContext, DeployTarget, MetricSource } from "../targets/types";
import { evaluateCanaryInterval } from "../rollout/canary-analysis";
import { deployContextFor } from "./deploy-context";
import { loadSamples, openDeployment, recordStep, storeSamples, type DeploymentHandle } from "../rollout/deployment-record";
import { writeIncidentReport, type IncidentReport } from "./incident-report";

/** Where the run's head stands against its base branch now (pull requests on a code host: lib/code-host/base-check.ts). */
export type CheckBase = (run: StageContext["run"]) => Promise<BaseCheck>;

export const DEPLOYMENT_AGENT_VERSION = "deployment-1";
/** One canary evaluation per minute of the repository's clock. */
const INTERVAL_SECONDS = 60;
/** Metric points per interval and cohort: enough for the statistics after a few intervals. */
const POINTS_PER_INTERVAL = 4;

/**
 * The canary's clock: the repository's clock scale applied from the canary's start. Steps and
 * samples are stamped with it, so charts line up; with a scale of 1 it is the wall clock.
 */
function canaryClock(start: Date, scale: number) {
  return {
    start,
    scale,
    now: () => new Date(start.getTime() + (Date.now() - start.getTime()) * scale),
    after: (seconds: number) => new Date(start.getTime() + seconds * 1000),
    /** Real milliseconds from now until `seconds` of canary time have passed. */
    realMsUntil: (seconds: number) => start.getTime() + (seconds * 1000) / scale - Date.now(),
    /** The wall-clock time of a canary timestamp. */
    realTimeOf: (at: Date) => start.getTime() + (at.getTime() - start.getTime()) / scale,
  };
}
type CanaryClock = ReturnType<typeof canaryClock>;

interface Canary {
  context: StageContext;
  clock?: CanaryClock;
  handle: DeploymentHandle;
  target: DeployTarget;
  source: MetricSource;
  ctx: DeployContext;
  clockScale: number;
  provider: LlmProvider | null;
}

/**
 * The deployment agent: a canary at the policy's share of traffic for the policy's duration,
 * judged every interval on the hard thresholds and against the baseline with statistics. A
 * failed interval rolls back at once, writes an incident report and notifies the team; a canary
 * that ends without a clean pass rolls back too. High risk goes to a person before any traffic.
 * A retried attempt (runner crash) resumes the canary from its stored samples, or rolls back if
 * it cannot resume within the policy's time: a canary is never left unattended.
 */
export function createDeploymentAgent(provider: LlmProvider | null, options: { checkBase?: CheckBase } = {}): StageAgent {
  return {
    stage: "deployment",
    async run(context): Promise<StageAgentResult> {
      const { run, policy } = context;
      const repository = run.pullRequest.repository;

      const highRisk = await unapprovedHighRisk(context);
      if (highRisk) return result(context, { kind: "escalate", summary: `Escalated before the canary: ${highRisk.label}`, reasons: [highRisk] }, null, highRisk.detail);
      // First: a canary an earlier attempt left running is this attempt's to finish, whatever the
      // base did since. The base is checked only before this attempt owns a deployment.
      const ownsDeployment = await adoptOpenDeployment(context);
      const before = !ownsDeployment && options.checkBase && (await outcomeBeforeDeploying(context, options.checkBase));
      if (before) return result(context, before, null, before.summary);

      const settings = deploySettingsOf(repository.settings);
      const opened = await openDeployment(context.db, {
        runId: run.id,
        stageRunId: context.stageRunId,
        repositoryId: repository.id,
        pullRequestNumber: run.pullRequest.number,
        environment: "production",
        strategy: "canary",
        target: settings.production.target.kind,
        actor: deploymentActor,
      });
      const canary = await canaryOf(context, settings, opened.handle, provider);
      if (["promoted", "rolled_back", "failed"].includes(opened.status)) return finishedEarlier(canary, opened.status);

      const weight = policy.deployment.canaryTrafficPercent;
      const intervals = Math.max(1, Math.round((policy.deployment.canaryDurationMinutes * 60) / INTERVAL_SECONDS));
      let clock: CanaryClock;
      let done = 0;
      if (opened.resumed && opened.status === "canary") {
        const resumed = await resumePoint(canary, intervals, realDurationMs(settings, policy.deployment.canaryDurationMinutes * 60));
        if (!resumed.ok) return rollBack(canary, null, resumed.reason);
        clock = canary.clock = resumed.clock;
        done = resumed.done;
        // Samples of an interval read but not yet judged when the runner died are read again.
        await context.db.metricSample.deleteMany({ where: { deploymentId: canary.handle.id, at: { gt: clock.after(done * INTERVAL_SECONDS) } } });
        await recordStep(context.db, canary.handle, { kind: "resume", summary: `Runner restarted: resuming the canary at interval ${done + 1} of ${intervals} from the stored samples`, verdict: "ok", weight, at: clock.now() });
      } else {
        const deployed = await canary.target.deploy(canary.ctx);
        await recordStep(context.db, canary.handle, {
          kind: "deploy",
          summary: deployed.summary,
          verdict: deployed.ok ? "ok" : "failed",
          weight: 0,
          detail: { output: deployed.output ?? null, durationMs: deployed.durationMs },
          deployment: deployed.ok ? { status: "deploying" } : { status: "failed", finishedAt: new Date() },
        });
        if (!deployed.ok) return result(context, { kind: "fail", summary: `Production deploy failed: ${deployed.summary}` }, canary.handle.id, deployed.summary);
        const weighted = await canary.target.setWeight(canary.ctx, weight);
        const start = new Date();
        clock = canary.clock = canaryClock(start, canary.clockScale);
        await recordStep(context.db, canary.handle, {
          kind: "set_weight",
          summary: weighted.ok ? `Canary at ${weight}% of traffic for ${policy.deployment.canaryDurationMinutes} minutes${clockNote(canary.clockScale)}` : weighted.summary,
          verdict: weighted.ok ? "ok" : "failed",
          weight: weighted.ok ? weight : 0,
          at: start,
          detail: { startedAt: start.toISOString(), intervals, intervalSeconds: INTERVAL_SECONDS, clockScale: canary.clockScale },
          deployment: { status: "canary", trafficPercent: weighted.ok ? weight : 0 },
        });
        if (!weighted.ok) return rollBack(canary, null, `the target could not set the canary weight: ${weighted.summary}`);
      }

      let last: IntervalVerdict | null = null;
      for (let index = done; index < intervals; index++) {
        const from = clock.after(index * INTERVAL_SECONDS);
        const to = clock.after((index + 1) * INTERVAL_SECONDS);
        const wait = clock.realMsUntil((index + 1) * INTERVAL_SECONDS);
        if (wait > 0) await sleep(wait);
        const ended = await runEndedWhileLive(canary);
        if (ended) return ended;
        const latest = await canary.source.read(canary.ctx, { from, to, stepSeconds: INTERVAL_SECONDS / POINTS_PER_INTERVAL, weight });
        await storeSamples(context.db, canary.handle.id, latest);
        const series = await loadSamples(context.db, canary.handle.id);
        last = evaluateCanaryInterval({ series, latest, policy, at: to, interval: { index, startedAt: from, endedAt: to } });
        await recordStep(context.db, canary.handle, {
          kind: "evaluation",
          summary: `Interval ${index + 1} of ${intervals}: ${last.summary}`,
          verdict: last.verdict,
          weight,
          at: to,
          detail: last,
          deployment: { analysis: { kind: "canary", latest: last } },
        });
        if (last.verdict === "fail") return rollBack(canary, last, last.rollback?.reason ?? last.summary);
      }

      if (last && last.verdict !== "pass") {
        return rollBack(canary, last, `the canary ended without a clean pass (last interval ${last.verdict.replace("_", " ")}: ${last.summary})`);
      }
      const ended = await runEndedWhileLive(canary);
      if (ended) return ended;
      const promoted = await canary.target.promote(canary.ctx);
      if (!promoted.ok) return rollBack(canary, last, `the target could not promote the canary: ${promoted.summary}`);
      await recordStep(context.db, canary.handle, {
        kind: "promote",
        summary: `Promoted to 100% after ${intervals} passing interval${intervals === 1 ? "" : "s"}: ${promoted.summary}`,
        verdict: "ok",
        weight: 100,
        at: clock.now(),
        deployment: { status: "promoted", trafficPercent: 100, finishedAt: new Date() },
      });
      return result(
        context,
        { kind: "pass", summary: `Canary passed ${intervals} intervals at ${weight}% and was promoted to 100%` },
        canary.handle.id,
        `The canary ran at ${weight}% for ${policy.deployment.canaryDurationMinutes} minutes${clockNote(canary.clockScale)}. Every interval stayed within error rate ≤ ${policy.deployment.maxErrorRatePercent}% and p99 ≤ ${policy.deployment.maxP99LatencyMs} ms, and the statistical comparison with the baseline passed (${last?.summary ?? "no evaluation"}). Promoted to 100%.`,
      );
    },

    /**
     * The run ended while no runner watched its canary (killed mid-canary, then superseded or
     * closed; or its attempt failed mid-canary and the queued retry was cancelled with the run): the
     * canary is rolled back with its report and notification, or a rollback left unreported is
     * reported. Without this it stayed at its weight for good (issue #19).
     */
    async abandon(context, reason) {
      const open = await context.db.deployment.findFirst({
        where: { runId: context.run.id, environment: "production", OR: unfinishedDeployment },
        orderBy: { startedAt: "desc" },
        select: { id: true, status: true },
      });
      if (!open) return;
      const { run } = context;
      const handle: DeploymentHandle = { id: open.id, runId: run.id, repositoryId: run.pullRequest.repository.id, pullRequestNumber: run.pullRequest.number, environment: "production", actor: deploymentActor };
      // No LLM: there is no incident to explain, only a head that will not be merged.
      const canary = await canaryOf(context, deploySettingsOf(run.pullRequest.repository.settings), handle, null);
      canary.clock = await storedClock(canary);
      context.log.warn({ deploymentId: open.id, status: open.status }, "the run ended while its canary was unattended; rolling it back");
      if (open.status === "rolled_back") await finishedEarlier(canary, open.status);
      else await rollBack(canary, null, reason);
    },
  };
}

const deploymentActor = { type: "agent", id: "deployment", label: "deployment agent" } as const;

/** A production deployment still live, or rolled back without its incident report (finishedEarlier completes it). */
const unfinishedDeployment: Prisma.DeploymentWhereInput[] = [{ status: { in: ["pending", "deploying", "canary"] } }, { status: "rolled_back", incidentReport: { equals: Prisma.DbNull } }];

async function canaryOf(context: StageContext, settings: DeploySettings, handle: DeploymentHandle, provider: LlmProvider | null): Promise<Canary> {
  return {
    context,
    handle,
    target: createDeployTarget(settings, "production"),
    source: createMetricSource(settings, "production"),
    ctx: await deployContextFor(context, "production"),
    clockScale: settings.clockScale,
    provider,
  };
}

/**
 * A run superseded by a new head (or closed) while its canary runs: that head will not be merged,
 * so it does not stay in production, nor is it promoted. The canary is rolled back (no LLM: there
 * is no incident to explain); the engine records the attempt as cancelled.
 */
async function runEndedWhileLive(canary: Canary): Promise<StageAgentResult | null> {
  const { status } = await canary.context.db.pipelineRun.findUniqueOrThrow({ where: { id: canary.context.run.id }, select: { status: true } });
  if (isActiveRunStatus(status)) return null;
  return rollBack({ ...canary, provider: null }, null, `the run was ${status.replace("_", " ")} while its canary ran: a head that will not be merged does not stay in production`);
}

/**
 * A production deployment an earlier attempt of this stage left open (or rolled back unreported):
 * that attempt failed mid-canary
 * (a cut connection, a database restart) and its error was recorded, so the engine retries the
 * stage as a new attempt, which would start a second canary beside the first, left at its weight
 * with nobody watching it. This attempt takes the open one over instead (openDeployment then finds
 * it and resumes it, or rolls it back if it waited longer than the policy allows). Only when this
 * attempt owns no deployment yet (stageRunId is unique). Says whether this attempt owns one now.
 */
async function adoptOpenDeployment(context: StageContext): Promise<boolean> {
  const { db } = context;
  if (await db.deployment.findUnique({ where: { stageRunId: context.stageRunId }, select: { id: true } })) return true;
  const open = await db.deployment.findFirst({
    where: {
      runId: context.run.id,
      environment: "production",
      stageRunId: { not: context.stageRunId },
      // Never a second canary after a rollback.
      OR: unfinishedDeployment,
    },
    orderBy: { startedAt: "desc" },
    select: { id: true },
  });
  if (!open) return false;
  await db.deployment.update({ where: { id: open.id }, data: { stageRunId: context.stageRunId }, select: { id: true } });
  return true;
}

/** Risk at or above the policy's threshold that no person has approved: a human decides first. */
async function unapprovedHighRisk(context: StageContext): Promise<EscalationReason | null> {
  const threshold = context.policy.review.humanRiskThreshold;
  const risk = (await context.db.pipelineRun.findUniqueOrThrow({ where: { id: context.run.id }, select: { riskScore: true } })).riskScore;
  if (risk === null || risk < threshold) return null;
  const approved = await context.db.escalation.count({ where: { runId: context.run.id, status: "approved" } });
  if (approved > 0) return null;
  return { code: "high_risk", label: `risk ${risk} ≥ ${threshold}`, detail: `Risk ${risk} is at or above ${threshold} and no person has approved this change: a human decides before any production traffic.`, value: risk, threshold };
}

/**
 * A head whose base moved since it was validated is not deployed (deploy-then-merge would put an
 * untested combination into the default branch): the run is cancelled once the host is bringing
 * the branch up to date (its push is validated by a new run), and fails when the host cannot. A
 * gate-only repository's pull request passes here undeployed: its merge commit is what deploys.
 * Asked only while this attempt owns no deployment (its own, or one adopted from an earlier
 * attempt): a canary resumed after a crash goes on.
 */
async function outcomeBeforeDeploying(context: StageContext, checkBase: CheckBase): Promise<StageOutcome | null> {
  const base = await checkBase(context.run);
  if (base.kind === "gate_only") return { kind: "pass", summary: "Not deployed from the pull request (gate only): people merge it, and its merge commit is deployed by a run of its own" };
  if (base.kind !== "behind") return null;
  const moved = `The base branch ${base.baseRef} has ${base.behindBy} commit${base.behindBy === 1 ? "" : "s"} this head does not contain`;
  if (base.update.requested) return { kind: "cancel", summary: `${moved}: the branch is being brought up to date, and the new head runs the pipeline again` };
  return { kind: "fail", summary: `${moved}, and the branch could not be brought up to date (${base.update.reason}): merge or rebase onto ${base.baseRef}; the push starts a new run` };
}

/** Where a crashed canary stands: its clock, how many intervals were judged, and whether it is too late. */
async function resumePoint(canary: Canary, intervals: number, policyRealMs: number): Promise<{ ok: true; clock: CanaryClock; done: number } | { ok: false; reason: string }> {
  const steps = await canary.context.db.deploymentStep.findMany({ where: { deploymentId: canary.handle.id }, orderBy: { id: "asc" } });
  const clock = clockOfSteps(steps, canary.clockScale);
  const lastStep = steps.at(-1);
  if (!clock || !lastStep) return { ok: false, reason: "the runner crashed before the canary's start was recorded" };
  const unattendedMs = Date.now() - clock.realTimeOf(lastStep.at);
  if (unattendedMs > policyRealMs) {
    return { ok: false, reason: `the canary was unattended for ${Math.round(unattendedMs / 1000)} s after a runner crash, longer than the policy's canary duration` };
  }
  return { ok: true, clock, done: Math.min(intervals, steps.filter((s) => s.kind === "evaluation").length) };
}

/** The canary's clock, from its recorded start (none before the weight was set). */
function clockOfSteps(steps: { kind: string; verdict: string | null; at: Date }[], scale: number): CanaryClock | undefined {
  const started = steps.find((s) => s.kind === "set_weight" && s.verdict === "ok");
  return started && canaryClock(started.at, scale);
}

async function storedClock(canary: Canary): Promise<CanaryClock | undefined> {
  const steps = await canary.context.db.deploymentStep.findMany({ where: { deploymentId: canary.handle.id }, orderBy: { id: "asc" }, select: { kind: true, verdict: true, at: true } });
  return clockOfSteps(steps, canary.clockScale);
}

async function rollBack(canary: Canary, verdict: IntervalVerdict | null, reason: string): Promise<StageAgentResult> {
  const { context, handle } = canary;
  const rolled = await canary.target.rollback(canary.ctx, reason);
  const tripped = verdict?.rollback ?? null;
  await recordStep(context.db, handle, {
    kind: "rollback",
    summary: `Rolled back: ${reason}${rolled.ok ? "" : ` (the target reported: ${rolled.summary})`}`,
    verdict: rolled.ok ? "ok" : "failed",
    weight: 0,
    detail: tripped ?? { reason },
    at: canary.clock?.now(),
    deployment: { status: "rolled_back", trafficPercent: 0, finishedAt: new Date(), rollbackReason: reason },
  });
  return reportRollback(canary, tripped, reason);
}

/**
 * The incident report, stored with the notification step, and the notification. Separate from the
 * rollback step (which commits first, so traffic is back to 0 before anything else): a runner that
 * dies between the two leaves a rollback with no report, which the retried attempt finishes
 * (finishedEarlier). Found by the chaos soak (issue #19); enqueueing the notification again is a no-op.
 */
async function reportRollback(canary: Canary, tripped: RollbackDecision | null, reason: string): Promise<StageAgentResult> {
  const { context, handle } = canary;
  const steps = await context.db.deploymentStep.findMany({ where: { deploymentId: handle.id }, orderBy: { id: "asc" } });
  const { run } = context;
  const { report, llm } = await writeIncidentReport(
    {
      repository: run.pullRequest.repository.name,
      pullRequest: run.pullRequest,
      headSha: run.headSha,
      diff: await run.diffText(),
      rollback: tripped,
      reason,
      timeline: steps.map((s) => ({ at: s.at.toISOString(), event: s.summary })),
    },
    canary.provider,
  );
  await notifyRollback(canary, report, reason);
  const rolledBack = result(context, { kind: "rollback", summary: `Rolled back: ${reason}` }, handle.id, `${report.summary}\n\n${report.hypothesis}`, llm && canary.provider ? { ...llm, provider: canary.provider } : null);
  // The pull request stays open; its comment carries the incident report.
  return { ...rolledBack, assessment: { criticalFindings: 0, notChecked: [], report: incidentReportForPullRequest(report) } };
}

function incidentReportForPullRequest(report: IncidentReport): NonNullable<StageAssessment["report"]> {
  return {
    title: `Incident report: ${report.title}`,
    sections: [
      { heading: "What happened", text: report.summary },
      { heading: "Hypothesis", text: report.hypothesis },
      ...(report.trippedMetric ? [{ heading: "Tripped", text: `${report.trippedMetric.name} ${report.trippedMetric.value}${report.trippedMetric.unit ?? ""} against a threshold of ${report.trippedMetric.threshold}${report.trippedMetric.unit ?? ""}` }] : []),
      ...(report.suspectFiles.length > 0 ? [{ heading: "Files to look at first", text: report.suspectFiles.map((f) => `${f.path}: ${f.reason}`).join("\n") }] : []),
    ],
  };
}

/** The incident report is stored and sent to the team's channels with the rollback's notification step. */
async function notifyRollback(canary: Canary, report: IncidentReport, reason: string) {
  const { context, handle } = canary;
  const { db } = context;
  const { run } = context;
  const channels = await db.$transaction((tx) =>
    enqueueNotifications(tx, {
      event: "deployment.rolled_back",
      subjectId: handle.id,
      payload: {
        deploymentId: handle.id,
        link: deploymentLink(handle.id),
        repository: run.pullRequest.repository.name,
        pullRequest: { number: run.pullRequest.number, title: run.pullRequest.title, author: run.pullRequest.author },
        reason,
        incident: { title: report.title, hypothesis: report.hypothesis },
      },
    }),
  );
  const stored: IncidentReport = { ...report, notifications: channels > 0 ? [{ channel: `${channels} channel${channels === 1 ? "" : "s"}`, status: "queued" }] : [] };
  await recordStep(db, handle, {
    kind: "notification",
    summary: channels > 0 ? `Incident report sent to ${channels} notification channel${channels === 1 ? "" : "s"} (delivery is retried; see Settings → Notifications)` : "No notification channel takes deployment.rolled_back: add one in Settings to be told of rollbacks",
    verdict: channels > 0 ? "ok" : "failed",
    detail: { channels },
    at: canary.clock?.now(),
    deployment: { incidentReport: stored },
  });
}

/**
 * A retried attempt whose canary had already ended before the crash: report what happened, and
 * finish a rollback whose runner died before its incident report and notification were written.
 */
async function finishedEarlier(canary: Canary, status: string): Promise<StageAgentResult> {
  if (status === "rolled_back") {
    const deployment = await canary.context.db.deployment.findUniqueOrThrow({
      where: { id: canary.handle.id },
      select: { incidentReport: true, rollbackReason: true, steps: { where: { kind: "rollback" }, orderBy: { id: "desc" }, take: 1, select: { detail: true } } },
    });
    if (deployment.incidentReport === null) {
      const tripped = rollbackDecisionSchema.safeParse(deployment.steps[0]?.detail);
      return reportRollback(canary, tripped.success ? tripped.data : null, deployment.rollbackReason ?? "the canary was rolled back before the runner restarted");
    }
  }
  const outcome: StageOutcome =
    status === "promoted"
      ? { kind: "pass", summary: "The canary had been promoted before the runner restarted" }
      : status === "rolled_back"
        ? { kind: "rollback", summary: "The canary had been rolled back before the runner restarted" }
        : { kind: "fail", summary: "The production deploy had failed before the runner restarted" };
  return result(canary.context, outcome, canary.handle.id, outcome.summary);
}

function result(
  context: StageContext,
  outcome: StageOutcome,
  deploymentId: string | null,
  rationale: string,
  llm: { prompt: string; response: string; provider: LlmProvider } | null = null,
): StageAgentResult {
  const output = { deploymentId, policy: context.policy.deployment };
  return {
    outcome,
    stageOutput: output,
    decision: measuredDecision({
      agent: "deployment",
      agentVersion: DEPLOYMENT_AGENT_VERSION,
      provider: llm ? llm.provider.name : "statistics",
      model: llm?.provider.model ?? null,
      inputParts: [context.run.headSha, JSON.stringify(context.policy.deployment)],
      outcome,
      output,
      rationale,
      prompt: llm?.prompt ?? null,
      response: llm?.response ?? null,
    }),
  };
}

const clockNote = (scale: number) => (scale === 1 ? "" : ` (compressed clock: ${scale} simulated seconds per second)`);
