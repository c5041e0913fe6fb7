import { withPayload } from "../audit/chain/event-payload";
import type { Db } from "../db/client";
import { DomainError } from "../errors";
import type { Json } from "../json";
import type { StoredDecisionOutput } from "../review/review-output";

/**
 * Everything the run page shows: stages with their attempts and decisions, escalations, audit
 * events. Not the diff: the diff viewer fetches it by the run's id (GET /api/v1/runs/:id/diff).
 */
export async function loadRunDetailOrThrow(db: Db, runId: string) {
  const run = await db.pipelineRun.findUnique({
    where: { id: runId },
    include: {
      pullRequest: { include: { repository: { select: { id: true, name: true } } } },
      policy: { select: { version: true } },
      stageRuns: { orderBy: [{ queuedAt: "asc" }, { attempt: "asc" }] },
      decisions: {
        orderBy: { createdAt: "asc" },
        select: {
          id: true,
          stageRunId: true,
          agent: true,
          agentVersion: true,
          provider: true,
          model: true,
          inputHash: true,
          outcome: true,
          riskScore: true,
          output: true,
          rationale: true,
          inputTokens: true,
          outputTokens: true,
          latencyMs: true,
          createdAt: true,
        },
      },
      escalations: { orderBy: { createdAt: "asc" }, select: { id: true, stage: true, reasons: true, status: true, dueAt: true, createdAt: true, decidedAt: true } },
    },
  });
  if (!run) throw new DomainError("not_found", `No run ${runId}`);
  const auditEvents = (await db.auditEvent.findMany({ where: { runId }, orderBy: { sequence: "asc" }, take: 500 })).map(withPayload);
  return { run, auditEvents };
}

type RunDetail = Awaited<ReturnType<typeof loadRunDetailOrThrow>>;
type RunDecision = RunDetail["run"]["decisions"][number];

/** GET /api/v1/runs/{id} as the browser receives it; a decision's stored output typed as its readers see it. */
export type RunDetailResponse = Json<
  Omit<RunDetail, "run"> & { run: Omit<RunDetail["run"], "decisions"> & { decisions: (Omit<RunDecision, "output"> & { output: StoredDecisionOutput })[] } }
>;
