import { randomUUID } from "node:crypto";
import { appendAuditEvent } from "../audit/chain/append-audit-event";
import type { Db, Prisma } from "../db/client";
import { env } from "../env";

/**
 * Sessions are JWTs (no session store to scale), but each carries the id of a UserSession row that
 * every web server checks on every request: the idle timeout (SESSION_IDLE_MINUTES since the last
 * authenticated request), the maximum age (SESSION_MAX_AGE_HOURS since sign-in), "sign out
 * everywhere" and a disabled account all end it at once, and each end is an access event.
 * Activity is written at most once a minute per session, so polling pages cost no write per poll.
 */
export interface SessionLimits {
  idleMs: number;
  maxAgeMs: number;
}

const ACTIVITY_WRITE_EVERY_MS = 60_000;

export function sessionLimits(): SessionLimits {
  return { idleMs: env().SESSION_IDLE_MINUTES * 60_000, maxAgeMs: env().SESSION_MAX_AGE_HOURS * 3_600_000 };
}

export async function startSession(db: Db, userId: string): Promise<string> {
  const id = randomUUID();
  await db.userSession.create({ data: { id, userId } });
  return id;
}

/** Ends one session (sign-out), if it is still open. */
export async function endSession(db: Db, sessionId: string, reason: string) {
  await db.userSession.updateMany({ where: { id: sessionId, endedAt: null }, data: { endedAt: new Date(), endReason: reason } });
}

/** Ends every open session of a user, inside the transaction that revokes or disables them. */
export async function endUserSessions(tx: Prisma.TransactionClient, userId: string, reason: string) {
  await tx.userSession.updateMany({ where: { userId, endedAt: null }, data: { endedAt: new Date(), endReason: reason } });
}

/**
 * The user behind a request's session, or null when the session is no good: its record missing or
 * ended (sign-out, sign out everywhere, disabled), another user's, a disabled user's, or gone idle
 * or past its maximum age. Such a session is ended
 * here, once (the conditional update), with a `session.expired` access event. One query reads the
 * session with its user: this runs on every authenticated request.
 */
export async function userOfSession(db: Db, jwt: { sub?: string; sessionId?: string; signedInAt?: number }, limits: SessionLimits = sessionLimits(), now = new Date()) {
  if (!jwt.sub) return null;
  if (!jwt.sessionId) {
    // A JWT from before session records: the user row's checks alone, "sign out everywhere" by time.
    const user = await db.user.findUnique({ where: { id: jwt.sub } });
    if (!user || user.disabledAt) return null;
    const revoked = user.sessionsRevokedAt && !(typeof jwt.signedInAt === "number" && jwt.signedInAt > user.sessionsRevokedAt.getTime());
    return revoked ? null : user;
  }
  const session = await db.userSession.findUnique({ where: { id: jwt.sessionId }, include: { user: true } });
  if (!session || session.endedAt || session.userId !== jwt.sub || session.user.disabledAt) return null;
  const { user } = session;
  const expired = now.getTime() - session.lastActiveAt.getTime() > limits.idleMs ? "idle" : now.getTime() - session.signedInAt.getTime() > limits.maxAgeMs ? "maximum age" : null;
  if (expired) {
    await db.$transaction(async (tx) => {
      const ended = await tx.userSession.updateMany({ where: { id: session.id, endedAt: null }, data: { endedAt: now, endReason: expired } });
      if (ended.count === 0) return;
      await appendAuditEvent(tx, {
        actor: { type: "system", id: "sessions", label: "session expiry" },
        action: "session.expired",
        subject: { type: "user", id: user.id },
        payload: { email: user.email, reason: expired, signedInAt: session.signedInAt.toISOString(), lastActiveAt: session.lastActiveAt.toISOString() },
      });
    });
    return null;
  }
  if (now.getTime() - session.lastActiveAt.getTime() > ACTIVITY_WRITE_EVERY_MS) {
    await db.userSession.update({ where: { id: session.id }, data: { lastActiveAt: now } });
  }
  return user;
}
