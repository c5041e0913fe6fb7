import { deploymentLink, escalationLink, runLink } from "../../app-links";
import type { Prisma } from "../../db/client";
import type { StageNote } from "../../pipeline/stage-note";
import type { Stage } from "../../pipeline/stages";
import type { Transition } from "../../pipeline/transitions";
import { isCodeHostKind, type DeploymentPublication } from "../code-host";
import { mergeSettingsOf } from "../merge-settings";
import { queuePublications } from "./outbox";
import { decisionCheckPublications, endedRunCheckPublications, stageCheckPublications } from "./stage-checks";
import { stickyCommentBody, stickyStateOf } from "./sticky-comment";

/**
 * What the pull request should show after a stage's outcome, queued in the transaction that records
 * it: the checks, the sticky comment and, when the last stage passed on a deploy-then-merge
 * repository, the merge (the promoted head goes into the default branch, which then equals
 * production).
 */
export async function queueStageOutcome(
  tx: Prisma.TransactionClient,
  input: {
    runId: string;
    headSha: string;
    stage: Stage;
    transition: Transition;
    summary: string;
    notes: StageNote[];
    notChecked: string[];
    /** A longer account for the comment (a rollback's incident report). */
    report?: { title: string; sections: { heading: string; text: string }[] };
    escalationId?: string;
    repositorySettings: unknown;
  },
): Promise<void> {
  const facts = {
    stage: input.stage,
    summary: input.summary,
    runUrl: runLink(input.runId),
    escalationUrl: input.escalationId ? escalationLink(input.escalationId) : undefined,
  };
  const merge = mergeSettingsOf(input.repositorySettings);
  const merges = input.transition.type === "complete" && merge.mode === "deploy_then_merge";
  await queuePublications(tx, input.runId, [
    ...stageCheckPublications({ ...facts, headSha: input.headSha, transition: input.transition, notes: input.notes, notChecked: input.notChecked }).map((check) => ({ kind: "check" as const, check })),
    { kind: "comment", headSha: input.headSha, body: stickyCommentBody({ ...facts, state: stickyStateOf(input.transition), notes: input.notes.length, report: input.report }) },
    ...(merges ? [{ kind: "merge" as const, headSha: input.headSha, method: merge.method }] : []),
  ]);
}

/** A person's decision in Flowgate, as the pull request shows it, on the escalation's own commit. */
export async function queueDecision(
  tx: Prisma.TransactionClient,
  input: {
    runId: string;
    headSha: string;
    stage: Stage;
    escalationId: string;
    decision: "approve" | "reject" | "request_changes";
    decidedBy: string;
    at: Date;
    auditHash: string;
    rationale: string;
  },
): Promise<void> {
  const checks = decisionCheckPublications({ ...input, escalationUrl: escalationLink(input.escalationId) });
  const verdict = input.decision === "approve" ? "approved" : input.decision === "reject" ? "rejected" : "changes requested";
  const body = stickyCommentBody({
    stage: input.stage,
    state: `${verdict} by ${input.decidedBy}`,
    summary: `${verdict[0].toUpperCase()}${verdict.slice(1)} in Flowgate by ${input.decidedBy} at ${input.at.toISOString()}.`,
    notes: 0,
    runUrl: runLink(input.runId),
  });
  await queuePublications(tx, input.runId, [...checks.map((check) => ({ kind: "check" as const, check })), { kind: "comment", headSha: input.headSha, body }]);
}

/**
 * A run ended without a verdict (a newer head superseded it, the pull request was closed): its
 * commit's gate and current stage go `cancelled`, so nobody mistakes a stale check for a live one.
 */
export async function queueRunEnded(
  tx: Prisma.TransactionClient,
  input: { repositoryKind: string; runId: string; headSha: string; stage: Stage; reason: string },
): Promise<void> {
  if (!isCodeHostKind(input.repositoryKind)) return;
  const checks = endedRunCheckPublications({ ...input, runUrl: runLink(input.runId) });
  await queuePublications(tx, input.runId, checks.map((check) => ({ kind: "check" as const, check })));
}

/** The host environments a production canary is recorded in: the canary, then production on promotion. */
export const CANARY_ENVIRONMENT = "production-canary";
export const PRODUCTION_ENVIRONMENT = "production";

/**
 * A production deployment's new state, as GitHub Deployments show it: the canary is a transient
 * environment of its own (in progress while it deploys and runs, success when promoted, failure
 * when rolled back, error when the deploy failed); the promotion is a production deployment.
 * Queued in the transaction that records the step, like every other publication. Hosts without
 * deployments (GitLab keeps them for its own CI) and repositories on no host get nothing.
 */
export async function queueDeploymentState(
  tx: Prisma.TransactionClient,
  input: { runId: string; deploymentId: string; status: "deploying" | "canary" | "promoted" | "rolled_back" | "failed"; summary: string },
): Promise<void> {
  const run = await tx.pipelineRun.findUniqueOrThrow({ where: { id: input.runId }, select: { headSha: true, pullRequest: { select: { repository: { select: { kind: true } } } } } });
  if (run.pullRequest.repository.kind !== "github") return;
  const of = (environment: string, state: DeploymentPublication["state"]): { kind: "deployment"; deployment: DeploymentPublication } => ({
    kind: "deployment",
    deployment: {
      deploymentId: input.deploymentId,
      headSha: run.headSha,
      environment,
      production: environment === PRODUCTION_ENVIRONMENT,
      transient: environment === CANARY_ENVIRONMENT,
      state,
      description: input.summary,
      logUrl: deploymentLink(input.deploymentId),
    },
  });
  const publications = {
    deploying: [of(CANARY_ENVIRONMENT, "in_progress")],
    canary: [of(CANARY_ENVIRONMENT, "in_progress")],
    promoted: [of(CANARY_ENVIRONMENT, "success"), of(PRODUCTION_ENVIRONMENT, "success")],
    rolled_back: [of(CANARY_ENVIRONMENT, "failure")],
    failed: [of(CANARY_ENVIRONMENT, "error")],
  }[input.status];
  await queuePublications(tx, input.runId, publications);
}
