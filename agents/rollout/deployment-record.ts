import { appendAuditEvent, type AuditActor } from "../../lib/audit/chain/append-audit-event";
import { queueDeploymentState } from "../../lib/code-host/publish/queue-outcome";
import type { Db, Prisma } from "../../lib/db/client";
import type { CohortSeries } from "../targets/types";

type StepKind = "deploy" | "smoke_check" | "set_weight" | "evaluation" | "promote" | "rollback" | "resume" | "notification";
type DeploymentStatus = "pending" | "deploying" | "canary" | "promoted" | "rolled_back" | "failed";

export interface DeploymentHandle {
  id: string;
  runId: string;
  repositoryId: string;
  pullRequestNumber: number;
  environment: "staging" | "production";
  actor: AuditActor;
}

/**
 * The deployment a stage attempt owns, created on its first run and found again when the attempt
 * is retried after a crash (the unique stage attempt id), so a resumed canary continues the same
 * deployment with its samples and steps.
 */
export async function openDeployment(
  db: Db,
  input: { runId: string; stageRunId: string; repositoryId: string; pullRequestNumber: number; environment: "staging" | "production"; strategy: string; target: string; actor: AuditActor },
): Promise<{ handle: DeploymentHandle; resumed: boolean; status: string }> {
  const existing = await db.deployment.findUnique({ where: { stageRunId: input.stageRunId } });
  const deployment =
    existing ??
    (await db.deployment.create({
      data: { runId: input.runId, stageRunId: input.stageRunId, environment: input.environment, strategy: input.strategy, target: input.target, status: "pending" },
    }));
  return {
    handle: { id: deployment.id, runId: input.runId, repositoryId: input.repositoryId, pullRequestNumber: input.pullRequestNumber, environment: input.environment, actor: input.actor },
    resumed: existing !== null,
    status: deployment.status,
  };
}

/**
 * One step of a deployment with its audit event, in one transaction: the weight history, each
 * evaluation and the ending are never on the page without being in the audit log, or the reverse.
 */
export async function recordStep(
  db: Db,
  handle: DeploymentHandle,
  step: {
    kind: StepKind;
    summary: string;
    verdict?: string | null;
    weight?: number | null;
    detail?: unknown;
    at?: Date;
    /** Changes to the deployment row itself, committed with the step. */
    deployment?: { status?: DeploymentStatus; trafficPercent?: number; finishedAt?: Date; rollbackReason?: string; analysis?: unknown; incidentReport?: unknown };
  },
) {
  await db.$transaction(async (tx) => {
    const created = await tx.deploymentStep.create({
      data: {
        deploymentId: handle.id,
        kind: step.kind,
        summary: step.summary,
        verdict: step.verdict ?? null,
        weight: step.weight ?? null,
        detail: (step.detail ?? {}) as Prisma.InputJsonValue,
        ...(step.at ? { at: step.at } : {}),
      },
    });
    if (step.deployment) {
      const { analysis, incidentReport, ...rest } = step.deployment;
      // A production deployment's state changes are recorded on the code host too (when there is one).
      if (rest.status && rest.status !== "pending" && handle.environment === "production") {
        await queueDeploymentState(tx, { runId: handle.runId, deploymentId: handle.id, status: rest.status, summary: step.summary });
      }
      await tx.deployment.update({
        where: { id: handle.id },
        data: {
          ...rest,
          ...(analysis !== undefined ? { analysis: analysis as Prisma.InputJsonValue } : {}),
          ...(incidentReport !== undefined ? { incidentReport: incidentReport as Prisma.InputJsonValue } : {}),
        },
      });
    }
    await appendAuditEvent(tx, {
      actor: handle.actor,
      action: `deployment.${step.kind}`,
      subject: { type: "deployment", id: handle.id },
      runId: handle.runId,
      repositoryId: handle.repositoryId,
      payload: {
        pullRequest: handle.pullRequestNumber,
        environment: handle.environment,
        step: created.id.toString(),
        summary: step.summary,
        verdict: step.verdict ?? null,
        weight: step.weight ?? null,
        ...(step.kind === "evaluation" || step.kind === "rollback" ? { detail: step.detail ?? null } : {}),
      },
    });
  });
}

/** Stores the metric points of an interval for both cohorts. */
export async function storeSamples(db: Db, deploymentId: string, series: CohortSeries) {
  const rows = (["canary", "baseline"] as const).flatMap((cohort) =>
    series[cohort].map((point) => ({ deploymentId, cohort, at: point.at, errorRate: point.errorRate, p99Ms: point.p99Ms, requests: point.requests })),
  );
  if (rows.length > 0) await db.metricSample.createMany({ data: rows });
}

/** The stored samples of a deployment, as the series the statistics take. */
export async function loadSamples(db: Db, deploymentId: string): Promise<CohortSeries> {
  const rows = await db.metricSample.findMany({ where: { deploymentId }, orderBy: { at: "asc" } });
  const of = (cohort: "canary" | "baseline") =>
    rows.filter((r) => r.cohort === cohort).map((r) => ({ at: r.at, errorRate: r.errorRate, p99Ms: r.p99Ms, requests: r.requests }));
  return { canary: of("canary"), baseline: of("baseline") };
}
