import type { Db } from "../db/client";

/**
 * Sign-in throttling, shared by every web server through the database. Two keys per attempt: the
 * account (the email as typed, whether or not such a user exists, so the answers for a known and
 * an unknown account are the same) and the client address. Each failure within the window grows a
 * delay before the key may try again (1 s, 2 s, 4 s … up to 60 s once the free failures are used);
 * past the limit the key is locked for the lock time. Attempts made while held count too, so a
 * guesser who keeps going reaches the lock sooner. A success clears the account's key, not the
 * address's, so one good password does not reset a spray across accounts.
 */
export interface ThrottlePolicy {
  /** Failures allowed before delays start. */
  freeFailures: number;
  maxDelaySeconds: number;
  /** Failures within the window after which the key is locked. */
  lockAfter: number;
  lockSeconds: number;
  windowSeconds: number;
}

export const accountPolicy: ThrottlePolicy = { freeFailures: 3, maxDelaySeconds: 60, lockAfter: 10, lockSeconds: 15 * 60, windowSeconds: 15 * 60 };
// An address may mistype for many people (an office behind one NAT): more room before delays.
export const addressPolicy: ThrottlePolicy = { freeFailures: 10, maxDelaySeconds: 60, lockAfter: 50, lockSeconds: 15 * 60, windowSeconds: 15 * 60 };

export const accountKey = (email: string) => `account:${email.trim().toLowerCase()}`;
export const addressKey = (address: string) => `address:${address}`;

/** Until when a key may not try, if it is held back now; read before any password is checked. */
export async function heldUntil(db: Db, keys: string[], now = new Date()): Promise<Date | null> {
  const rows = await db.signInThrottle.findMany({ where: { key: { in: keys }, lockedUntil: { gt: now } }, select: { lockedUntil: true } });
  const until = rows.map((r) => r.lockedUntil!.getTime());
  return until.length > 0 ? new Date(Math.max(...until)) : null;
}

/** Counts a failure against a key (atomically, whichever server sees it) and returns the hold it earns. */
export async function recordFailure(
  db: Db,
  key: string,
  policy: ThrottlePolicy,
  now = new Date(),
): Promise<{ failures: number; lockedUntil: Date | null; locked: boolean; justLocked: boolean }> {
  const windowStart = new Date(now.getTime() - policy.windowSeconds * 1000);
  const [row] = await db.$queryRaw<{ failures: number }[]>`
    INSERT INTO "SignInThrottle" (key, failures, "windowStart", "updatedAt") VALUES (${key}, 1, ${now}, ${now})
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN "SignInThrottle"."windowStart" < ${windowStart} THEN 1 ELSE "SignInThrottle".failures + 1 END,
      "windowStart" = CASE WHEN "SignInThrottle"."windowStart" < ${windowStart} THEN ${now} ELSE "SignInThrottle"."windowStart" END,
      "updatedAt" = ${now}
    RETURNING failures`;
  const failures = Number(row.failures);
  const locked = failures >= policy.lockAfter;
  const holdSeconds = locked ? policy.lockSeconds : failures > policy.freeFailures ? Math.min(2 ** (failures - policy.freeFailures - 1), policy.maxDelaySeconds) : 0;
  const lockedUntil = holdSeconds > 0 ? new Date(now.getTime() + holdSeconds * 1000) : null;
  // Never shortens a hold another server set meanwhile (a concurrent failure that earned more).
  if (lockedUntil) await db.$executeRaw`UPDATE "SignInThrottle" SET "lockedUntil" = GREATEST(COALESCE("lockedUntil", ${lockedUntil}), ${lockedUntil}) WHERE key = ${key}`;
  return { failures, lockedUntil, locked, justLocked: failures === policy.lockAfter };
}

export async function clearFailures(db: Db, key: string) {
  await db.signInThrottle.deleteMany({ where: { key } });
}

/**
 * The client's address as the web server sees it: the first X-Forwarded-For hop. Next.js sets that
 * header from the connection's address when the request has none; a client talking to Next.js
 * directly can send its own and so pick its address key (the account key holds regardless). In
 * production, put Flowgate behind a proxy that overwrites X-Forwarded-For with the real address.
 */
export function clientAddress(headers: Record<string, string | string[] | undefined>): string {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return header("x-forwarded-for")?.split(",")[0]?.trim() || header("x-real-ip")?.trim() || "unknown";
}
