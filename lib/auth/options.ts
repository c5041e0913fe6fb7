import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { db } from "../db/client";
import { env } from "../env";
import { accessActor, auditAccess } from "./audit-access";
import { authorizePassword } from "./password-sign-in";
import { endSession, startSession } from "./sessions";
import { githubProvider, githubSignInConfigOf } from "./github-sign-in";
import { applySsoSignIn, oidcProvider, ssoConfigOf, type ExternalSignIn } from "./sso";
import type { Role } from "./roles";

/**
 * Sign-in by local password (unless FLOWGATE_LOCAL_PASSWORDS=off) and by single sign-on (an OIDC
 * provider and/or GitHub, when configured), with JWT sessions that each carry a server-side session
 * record (lib/auth/sessions.ts); the role travels in the token and is re-checked against the
 * database on every request.
 */
export function authOptions(): NextAuthOptions {
  const sso = ssoConfigOf(env());
  const github = githubSignInConfigOf(env(), env().FLOWGATE_SSO_DEFAULT_ROLE);
  const external: Record<string, ExternalSignIn> = { ...(sso ? { oidc: sso } : {}), ...(github ? { github } : {}) };
  const localPasswords = env().FLOWGATE_LOCAL_PASSWORDS === "on";
  const credentials = CredentialsProvider({
    name: "Email and password",
    credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
    authorize: (credentials, req) => authorizePassword(credentials, req),
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
        if (!user) return token;
        // At sign-in. The session is Flowgate's user, never an identity provider's subject.
        const signedIn =
          account && external[account.provider]
            ? await db().user.findUnique({ where: { email: String(user.email).toLowerCase() }, select: { id: true, role: true } })
            : { id: user.id, role: (user as unknown as { role: Role }).role };
        if (!signedIn) return token;
        token.sub = signedIn.id;
        token.role = signedIn.role;
        // Kept across refreshes (unlike iat): "sign out everywhere" compares against it.
        token.signedInAt = Date.now();
        token.sessionId = await startSession(db(), signedIn.id);
        return token;
      },
      session({ session, token }) {
        return { ...session, user: { ...session.user, id: token.sub, role: token.role } };
      },
    },
  };
}
