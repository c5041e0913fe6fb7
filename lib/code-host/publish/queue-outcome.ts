import { escalationLink, runLink } from "../../app-links";
import type { Prisma } from "../../db/client";
import type { StageNote } from "../../pipeline/stage-note";
import type { Stage } from "../../pipeline/stages";
import type { Transition } from "../../pipeline/transitions";
import { isCodeHostKind } from "../code-host";
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
    { kind: "comment", headSha: input.headSha, body: stickyCommentBody({ ...facts, state: stickyStateOf(input.transition), notes: input.notes.length }) },
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
