import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { db } from "../db/client";
import { env } from "../env";
import { log } from "../log";
import { accessActor, auditAccess } from "./audit-access";
import { hashPassword, verifyPassword } from "./passwords";
import { endSession, startSession } from "./sessions";
import { githubProvider, githubSignInConfigOf } from "./github-sign-in";
import { applySsoSignIn, oidcProvider, ssoConfigOf, type ExternalSignIn } from "./sso";
import { accountKey, accountPolicy, addressKey, addressPolicy, clearFailures, clientAddress, heldUntil, recordFailure } from "./sign-in-throttle";
import type { Role } from "./roles";

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
 * Sign-in by local password (unless FLOWGATE_LOCAL_PASSWORDS=off) and by single sign-on (when an
 * OIDC issuer is configured), with JWT sessions; the role travels in the token and is re-checked
 * against the database on every request.
 */
export function authOptions(): NextAuthOptions {
  const sso = ssoConfigOf(env());
  const github = githubSignInConfigOf(env(), env().FLOWGATE_SSO_DEFAULT_ROLE);
  const external: Record<string, ExternalSignIn> = { ...(sso ? { oidc: sso } : {}), ...(github ? { github } : {}) };
  const localPasswords = env().FLOWGATE_LOCAL_PASSWORDS === "on";
  const credentials = CredentialsProvider({
    name: "Email and password",
    credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
    async authorize(credentials, req) {
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
      },
    });
  return {
    secret: env().NEXTAUTH_SECRET,
    session: { strategy: "jwt", maxAge: Math.round(env().SESSION_MAX_AGE_HOURS * 3600) },
    // Refusals (a person in no mapped group) come back to the sign-in page, which explains them.
    pages: { signIn: "/signin", error: "/signin" },
    providers: [...(localPasswords ? [credentials] : []), ...(sso ? [oidcProvider(sso)] : []), ...(github ? [githubProvider(github)] : [])],
    events: {
      async signOut({ token }) {
        if (!token?.sub) return;
        if (token.sessionId) await endSession(db(), token.sessionId, "signed out");
        const user = await db().user.findUnique({ where: { id: token.sub }, select: { id: true, email: true } });
        if (user) await auditAccess(db(), { action: "sign_out", actor: accessActor(user, user.email), subject: { type: "user", id: user.id }, payload: { email: user.email } });
      },
    },
    callbacks: {
      async signIn({ user, account }) {
        const source = account ? external[account.provider] : undefined;
        if (!source) return true;
        const person = user as unknown as { email: string; name: string; groups: string[] };
        const result = await applySsoSignIn(db(), source, person);
        const actor = accessActor("user" in result ? (result.user ?? null) : null, person.email);
        if ("refused" in result) {
          await auditAccess(db(), { action: "sign_in.failed", actor, subject: { type: "user", id: person.email }, payload: { email: person.email, reason: result.refused, method: source.provider, groups: person.groups } });
          return false;
        }
        await auditAccess(db(), { action: "sign_in.succeeded", actor, subject: { type: "user", id: result.user.id }, payload: { email: person.email, method: source.provider, role: result.user.role } });
        return true;
      },
      async jwt({ token, user, account }) {
        if (user && account && external[account.provider]) {
          // The session is Flowgate's user, not the identity provider's subject.
          const dbUser = await db().user.findUnique({ where: { email: String(user.email).toLowerCase() } });
          if (dbUser) {
            token.sub = dbUser.id;
            token.role = dbUser.role;
            token.signedInAt = Date.now();
            token.sessionId = await startSession(db(), dbUser.id);
          }
          return token;
        }
        if (user) {
          token.role = (user as unknown as { role: Role }).role;
          // Kept across refreshes (unlike iat): "sign out everywhere" compares against it.
          token.signedInAt = Date.now();
          token.sessionId = await startSession(db(), user.id);
        }
        return token;
      },
      session({ session, token }) {
        return { ...session, user: { ...session.user, id: token.sub, role: token.role } };
      },
    },
  };
}
