import { appendAuditEvent, type AuditActor } from "../audit/chain/append-audit-event";
import type { Db } from "../db/client";

/**
 * Access events in the audit log (SOC 2 CC6.1–CC6.3: who had access to the gate, and when): sign-in
 * successes, failures and throttling, sign-outs. Never a password; for a failure, the email as
 * typed (auditors need to see a guessing attack) and the client address.
 */
export async function auditAccess(
  db: Db,
  event: { action: "sign_in.succeeded" | "sign_in.failed" | "sign_in.throttled" | "sign_in.locked" | "sign_out"; actor: AuditActor; subject: { type: string; id: string }; payload: Record<string, unknown> },
) {
  await db.$transaction((tx) => appendAuditEvent(tx, event));
}

/** Who an access event is by: the user when known, otherwise the email someone typed. */
export const accessActor = (user: { id: string; email: string } | null, email: string): AuditActor =>
  user ? { type: "user", id: user.id, label: user.email } : { type: "system", id: "sign-in", label: `sign-in attempt as ${email}` };
