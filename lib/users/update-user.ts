import { z } from "zod";
import { appendAuditEvent, type AuditActor } from "../audit/chain/append-audit-event";
import { roles } from "../auth/roles";
import type { Db } from "../db/client";
import { endUserSessions } from "../auth/sessions";
import { DomainError } from "../errors";

export const updateUserSchema = z
  .object({
    role: z.enum(roles).optional(),
    disabled: z.boolean().optional(),
    /** Ends every session the user has now; they sign in again. */
    signOutEverywhere: z.literal(true).optional(),
  })
  .refine((input) => input.role !== undefined || input.disabled !== undefined || input.signOutEverywhere, "say what to change: role, disabled or signOutEverywhere");
export type UpdateUserInput = z.infer<typeof updateUserSchema>;

/**
 * Changes who may do what: a role, disabling or enabling the account, ending its sessions. Each
 * change is an access event in the audit log, in the same transaction. Roles and the disabled flag
 * are read on every request, so they take effect at once; "sign out everywhere" refuses every
 * session signed in before now.
 */
export async function updateUser(db: Db, options: { userId: string; input: UpdateUserInput; actor: AuditActor }) {
  const { input, actor } = options;
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: options.userId } });
    if (!user) throw new DomainError("not_found", `No user ${options.userId}`);
    if (actor.type === "user" && actor.id === user.id && (input.disabled === true || (input.role && input.role !== user.role && user.role === "admin"))) {
      throw new DomainError("conflict", "An admin cannot disable themselves or give up their own admin role; ask another admin");
    }
    const now = new Date();
    const subject = { type: "user", id: user.id };
    const data: { role?: typeof user.role; disabledAt?: Date | null; sessionsRevokedAt?: Date } = {};
    if (input.role && input.role !== user.role) {
      data.role = input.role;
      await appendAuditEvent(tx, { actor, action: "user.role_changed", subject, payload: { email: user.email, from: user.role, to: input.role } });
    }
    if (input.disabled === true && !user.disabledAt) {
      data.disabledAt = now;
      await endUserSessions(tx, user.id, "disabled");
      await appendAuditEvent(tx, { actor, action: "user.disabled", subject, payload: { email: user.email, role: user.role } });
    } else if (input.disabled === false && user.disabledAt) {
      data.disabledAt = null;
      await appendAuditEvent(tx, { actor, action: "user.enabled", subject, payload: { email: user.email, role: user.role } });
    }
    if (input.signOutEverywhere) {
      data.sessionsRevokedAt = now;
      await endUserSessions(tx, user.id, "revoked");
      await appendAuditEvent(tx, { actor, action: "user.sessions_revoked", subject, payload: { email: user.email } });
    }
    return tx.user.update({ where: { id: user.id }, data, select: { id: true, email: true, name: true, role: true, disabledAt: true, sessionsRevokedAt: true } });
  });
}
