import type { Db } from "../db/client";
import { DomainError } from "../errors";

/** One escalation with its stored context package, its decisions and the run's current state. */
export async function loadEscalationOrThrow(db: Db, escalationId: string) {
  const escalation = await db.escalation.findUnique({
    where: { id: escalationId },
    include: {
      assignee: { select: { id: true, email: true, name: true } },
      decisions: { orderBy: { createdAt: "asc" }, include: { user: { select: { id: true, email: true, name: true } } } },
      run: {
        select: {
          id: true,
          status: true,
          currentStage: true,
          riskScore: true,
          headSha: true,
          baseSha: true,
          diff: true,
          policy: { select: { version: true, rules: true } },
          pullRequest: { select: { number: true, title: true, description: true, author: true, repository: { select: { name: true } } } },
        },
      },
    },
  });
  if (!escalation) throw new DomainError("not_found", `No escalation ${escalationId}`);
  return escalation;
}
