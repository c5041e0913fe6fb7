import { appendAuditEvent } from "../audit/chain/append-audit-event";
import type { Db } from "../db/client";
import { enqueueNotifications, escalationNotificationPayload } from "./notify";

const slaMonitor = { type: "system", id: "sla-monitor", label: "SLA monitor" } as const;
// Bounds one pass; a backlog larger than this is drained over the following passes.
const BATCH_SIZE = 100;

/**
 * Marks open escalations whose SLA has passed, once each: the breach, its audit event and its
 * notifications commit together. Every runner calls this; the conditional update makes exactly
 * one of them win each escalation. Returns how many this call marked.
 */
export async function markSlaBreaches(db: Db, now = new Date()): Promise<number> {
  const overdue = await db.escalation.findMany({
    where: { status: "open", slaBreachedAt: null, dueAt: { lt: now } },
    orderBy: { dueAt: "asc" },
    take: BATCH_SIZE,
    select: { id: true },
  });
  let marked = 0;
  for (const { id } of overdue) if (await markBreach(db, id, now)) marked++;
  return marked;
}

async function markBreach(db: Db, escalationId: string, now: Date): Promise<boolean> {
  return db.$transaction(async (tx) => {
    // A concurrent marker (or a decision) waits on the row lock, then re-checks and matches nothing.
    const { count } = await tx.escalation.updateMany({
      where: { id: escalationId, status: "open", slaBreachedAt: null, dueAt: { lt: now } },
      data: { slaBreachedAt: now },
    });
    if (count === 0) return false;
    const escalation = await tx.escalation.findUniqueOrThrow({
      where: { id: escalationId },
      include: { run: { include: { pullRequest: { include: { repository: true } } } } },
    });
    const { pullRequest } = escalation.run;
    await appendAuditEvent(tx, {
      actor: slaMonitor,
      action: "escalation.sla_breached",
      subject: { type: "escalation", id: escalation.id },
      runId: escalation.runId,
      repositoryId: pullRequest.repositoryId,
      payload: { dueAt: escalation.dueAt.toISOString(), breachedAt: now.toISOString(), reasons: escalation.reasonLabels },
    });
    const payload = escalationNotificationPayload({ escalation, repository: pullRequest.repository.name, pullRequest });
    await enqueueNotifications(tx, { event: "escalation.sla_breached", subjectId: escalation.id, payload });
    return true;
  });
}
