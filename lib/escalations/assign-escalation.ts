import { z } from "zod";
import { appendAuditEvent } from "../audit/chain/append-audit-event";
import { auditActor, type Actor } from "../auth/actor";
import type { Db } from "../db/client";
import { DomainError } from "../errors";

export const assignSchema = z.object({ assignee: z.union([z.literal("me"), z.null()]) });

/** "Assign to me" (or release): who is looking at an escalation, visible to the other reviewers. */
export async function assignEscalation(db: Db, options: { escalationId: string; assignee: "me" | null; actor: Actor }) {
  return db.$transaction(async (tx) => {
    const escalation = await tx.escalation.findUnique({
      where: { id: options.escalationId },
      include: { run: { select: { pullRequest: { select: { repositoryId: true } } } } },
    });
    if (!escalation) throw new DomainError("not_found", `No escalation ${options.escalationId}`);
    if (escalation.status !== "open") throw new DomainError("conflict", "This escalation is already decided");
    const assigneeId = options.assignee === "me" ? options.actor.user.id : null;
    const updated = await tx.escalation.update({ where: { id: escalation.id }, data: { assigneeId }, select: { id: true, assigneeId: true } });
    await appendAuditEvent(tx, {
      actor: auditActor(options.actor),
      action: assigneeId ? "escalation.assigned" : "escalation.unassigned",
      subject: { type: "escalation", id: escalation.id },
      runId: escalation.runId,
      repositoryId: escalation.run.pullRequest.repositoryId,
      payload: { assignee: assigneeId ? options.actor.user.email : null },
    });
    return updated;
  });
}
