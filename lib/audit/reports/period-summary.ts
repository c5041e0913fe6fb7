/**
 * What happened in a period, for an auditor: every change (pipeline run) submitted in it, how each
 * was approved (by the agent alone, or by which people), the exceptions (escalations, and human
 * decisions that went against the agent's suggestion), the rollbacks, and the chain's state.
 */
import { z } from "zod";
import type { Db } from "../../db/client";
import { verifyFromCheckpoint, type ChainStatusReport } from "../verify/verify-from-checkpoint";

export const periodSchema = z
  .object({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
  })
  // Written so an unparsable time (already reported on its own field) does not also fail here.
  .refine((p) => !(Date.parse(p.from) >= Date.parse(p.to)), { path: ["to"], message: "must be after from" });
export type Period = z.infer<typeof periodSchema>;

export interface PeriodChange {
  runId: string;
  repository: string;
  prNumber: number;
  title: string;
  author: string;
  createdAt: string;
  status: string;
  riskScore: number | null;
  approval: { by: "agent" | "people" | "none"; summary: string; approvers: string[] };
}

export interface PeriodException {
  runId: string;
  change: string;
  kind: "escalation" | "override";
  at: string;
  detail: string;
}

export interface PeriodRollback {
  runId: string;
  change: string;
  at: string;
  detail: string;
}

export interface PeriodSummary {
  from: string;
  to: string;
  changes: PeriodChange[];
  counts: { changes: number; approvedByAgent: number; approvedByPeople: number; notApproved: number; escalations: number; overrides: number; rollbacks: number };
  exceptions: PeriodException[];
  rollbacks: PeriodRollback[];
  chain: ChainStatusReport;
}

async function loadRuns(db: Db, period: Period) {
  return db.pipelineRun.findMany({
    where: { createdAt: { gte: new Date(period.from), lt: new Date(period.to) } },
    orderBy: { createdAt: "asc" },
    select: {
      id: true,
      status: true,
      riskScore: true,
      createdAt: true,
      finishedAt: true,
      pullRequest: { select: { number: true, title: true, author: true, repository: { select: { name: true } } } },
      decisions: { orderBy: { createdAt: "asc" }, select: { outcome: true, provider: true, riskScore: true, stageRun: { select: { stage: true } } } },
      escalations: {
        orderBy: { createdAt: "asc" },
        select: {
          stage: true,
          status: true,
          reasons: true,
          reasonLabels: true,
          createdAt: true,
          slaBreachedAt: true,
          contextPackage: true,
          decisions: { orderBy: { createdAt: "asc" }, select: { decision: true, createdAt: true, user: { select: { email: true } } } },
        },
      },
      deployments: { where: { OR: [{ status: "rolled_back" }, { rollbackReason: { not: null } }] }, select: { environment: true, status: true, rollbackReason: true, finishedAt: true, startedAt: true } },
    },
  });
}
type LoadedRun = Awaited<ReturnType<typeof loadRuns>>[number];

const decided = (d: { decision: string; user: { email: string } }) => `${d.user.email} (${d.decision.replaceAll("_", " ")})`;

/** How the change got (or did not get) its go-ahead, in one line. */
function approvalOf(run: LoadedRun): PeriodChange["approval"] {
  const humanDecisions = run.escalations.flatMap((e) => e.decisions);
  const approvers = [...new Set(humanDecisions.filter((d) => d.decision === "approve").map((d) => d.user.email))];
  const refused = run.escalations.find((e) => e.status === "rejected" || e.status === "changes_requested");
  if (refused) return { by: "none", summary: `${refused.status.replaceAll("_", " ")} by ${refused.decisions.filter((d) => d.decision !== "approve").map(decided).join(", ")}`, approvers };
  const open = run.escalations.find((e) => e.status === "open");
  if (open) return { by: "none", summary: `waiting for a person (${open.stage}${approvers.length > 0 ? `; approved so far by ${approvers.join(", ")}` : ""})`, approvers };
  if (approvers.length > 0) return { by: "people", summary: `approved by ${approvers.join(", ")}`, approvers };
  const review = run.decisions.find((d) => d.stageRun.stage === "review");
  if (review?.outcome === "pass") return { by: "agent", summary: `review agent passed it (${review.provider}, risk ${review.riskScore ?? "–"})`, approvers };
  return { by: "none", summary: `not approved: ${run.status.replaceAll("_", " ")}`, approvers };
}

function exceptionsOf(run: LoadedRun, change: string): PeriodException[] {
  const found: PeriodException[] = [];
  for (const escalation of run.escalations) {
    const reasons = escalation.reasonLabels.length > 0 ? escalation.reasonLabels : escalation.reasons;
    const sla = escalation.slaBreachedAt ? `; SLA breached ${escalation.slaBreachedAt.toISOString()}` : "";
    found.push({ runId: run.id, change, kind: "escalation", at: escalation.createdAt.toISOString(), detail: `${escalation.stage}: ${reasons.join(", ")} (${escalation.status.replaceAll("_", " ")}${sla})` });
    // An override: a person decided against what the agent suggested in the package they were shown.
    const suggested = (escalation.contextPackage as { suggestion?: { decision?: string } | null } | null)?.suggestion?.decision;
    for (const d of escalation.decisions) {
      if (suggested && d.decision !== suggested) {
        found.push({ runId: run.id, change, kind: "override", at: d.createdAt.toISOString(), detail: `${decided(d)} against the agent's suggestion to ${suggested.replaceAll("_", " ")}` });
      }
    }
  }
  return found;
}

function rollbacksOf(run: LoadedRun, change: string): PeriodRollback[] {
  const rolled = run.deployments.map((d) => ({
    runId: run.id,
    change,
    at: (d.finishedAt ?? d.startedAt).toISOString(),
    detail: `${d.environment} deployment ${d.status.replaceAll("_", " ")}${d.rollbackReason ? `: ${d.rollbackReason}` : ""}`,
  }));
  if (rolled.length === 0 && run.status === "rolled_back") {
    rolled.push({ runId: run.id, change, at: (run.finishedAt ?? run.createdAt).toISOString(), detail: "the run was rolled back; no deployment record names the reason" });
  }
  return rolled;
}

export async function loadPeriodSummary(db: Db, period: Period, options: { databaseUrl?: string } = {}): Promise<PeriodSummary> {
  const [runs, chain] = await Promise.all([loadRuns(db, period), verifyFromCheckpoint(db, { databaseUrl: options.databaseUrl })]);
  const changes: PeriodChange[] = [];
  const exceptions: PeriodException[] = [];
  const rollbacks: PeriodRollback[] = [];
  for (const run of runs) {
    const pr = run.pullRequest;
    const change = `${pr.repository.name} #${pr.number}`;
    changes.push({
      runId: run.id,
      repository: pr.repository.name,
      prNumber: pr.number,
      title: pr.title,
      author: pr.author,
      createdAt: run.createdAt.toISOString(),
      status: run.status,
      riskScore: run.riskScore,
      approval: approvalOf(run),
    });
    exceptions.push(...exceptionsOf(run, change));
    rollbacks.push(...rollbacksOf(run, change));
  }
  return {
    from: period.from,
    to: period.to,
    changes,
    counts: {
      changes: changes.length,
      approvedByAgent: changes.filter((c) => c.approval.by === "agent").length,
      approvedByPeople: changes.filter((c) => c.approval.by === "people").length,
      notApproved: changes.filter((c) => c.approval.by === "none").length,
      escalations: exceptions.filter((e) => e.kind === "escalation").length,
      overrides: exceptions.filter((e) => e.kind === "override").length,
      rollbacks: rollbacks.length,
    },
    exceptions,
    rollbacks,
    chain,
  };
}
