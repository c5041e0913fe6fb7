import { db } from "../db/client";
import { log } from "../log";
import { accessActor, auditAccess } from "./audit-access";
import { hashPassword, verifyPassword } from "./passwords";
import { accountKey, accountPolicy, addressKey, addressPolicy, clearFailures, clientAddress, heldUntil, recordFailure } from "./sign-in-throttle";

// Compared against when the email is unknown, so a miss costs as long as a wrong password.
let unknownUserHash: Promise<string> | undefined;

/**
 * A failed or held-back attempt: counted against the account and the address (the hold it earns is
 * returned) and written to the audit log, with a lock event when it is the attempt that locks a key.
 */
async function countFailure(
  keys: { account: string; address: string },
  attempt: { email: string; address: string; user: { id: string; email: string } | null; reason: string },
  action: "sign_in.failed" | "sign_in.throttled",
): Promise<Date | null> {
  const [account, fromAddress] = await Promise.all([recordFailure(db(), keys.account, accountPolicy), recordFailure(db(), keys.address, addressPolicy)]);
  const actor = accessActor(attempt.user, attempt.email);
  const subject = { type: "user", id: attempt.user?.id ?? attempt.email };
  const { email, address, reason } = attempt;
  await auditAccess(db(), { action, actor, subject, payload: { email, address, reason, accountFailures: account.failures, addressFailures: fromAddress.failures } });
  for (const [by, result] of [["account", account], ["address", fromAddress]] as const) {
    if (result.justLocked) await auditAccess(db(), { action: "sign_in.locked", actor, subject, payload: { email, address, by, lockedUntil: result.lockedUntil!.toISOString() } });
  }
  const holds = [account.lockedUntil, fromAddress.lockedUntil].filter((d): d is Date => d !== null).map((d) => d.getTime());
  return holds.length > 0 ? new Date(Math.max(...holds)) : null;
}

/** The refusal a held-back sign-in gets: the same for every account, with the time left. */
function tooManyAttempts(until: Date): string {
  const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
  return `Too many failed sign-ins. Try again in ${seconds >= 120 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} s`}.`;
}

/**
 * Sign-in by email and local password, throttled (lib/auth/sign-in-throttle.ts) and audited: the
 * user on success, null on a wrong or unknown account, and an Error whose message says how long to
 * wait when the account or the address is held back.
 */
export async function authorizePassword(credentials: Record<string, string> | undefined, req: { headers?: Record<string, string | string[] | undefined> } | undefined) {
  const email = credentials?.email?.trim().toLowerCase();
  const password = credentials?.password ?? "";
  if (!email || !password) return null;
  const address = clientAddress(req?.headers ?? {});
  const keys = { account: accountKey(email), address: addressKey(address) };
  const user = await db().user.findUnique({ where: { email } });
  // Held back: refused before the password is even checked, with the time left. The same
  // answer whether or not the account exists.
  const held = await heldUntil(db(), [keys.account, keys.address]);
  if (held) {
    const counted = await countFailure(keys, { email, address, user, reason: "attempted while held back" }, "sign_in.throttled");
    throw new Error(tooManyAttempts(new Date(Math.max(held.getTime(), counted?.getTime() ?? 0))));
  }
  unknownUserHash ??= hashPassword("no such user");
  // An account made by single sign-on has no password ("!sso"): compared like an unknown one.
  const valid = await verifyPassword(password, user?.passwordHash.startsWith("$") ? user.passwordHash : await unknownUserHash);
  if (!user || !valid || user.disabledAt) {
    const reason = !user ? "unknown account" : user.disabledAt ? "account disabled" : "wrong password";
    await countFailure(keys, { email, address, user, reason }, "sign_in.failed");
    log.info({ email, address, reason }, "sign-in rejected");
    return null;
  }
  await clearFailures(db(), keys.account);
  await auditAccess(db(), { action: "sign_in.succeeded", actor: accessActor(user, email), subject: { type: "user", id: user.id }, payload: { email, address, method: "password" } });
  log.info({ userId: user.id }, "signed in");
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}
