import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { db } from "../db/client";
import { env } from "../env";
import { log } from "../log";
import { hashPassword, verifyPassword } from "./passwords";
import type { Role } from "./roles";

// Compared against when the email is unknown, so a miss costs as long as a wrong password.
let unknownUserHash: Promise<string> | undefined;

/** Credentials sign-in with JWT sessions; the role travels in the token and is re-checked per request. */
export function authOptions(): NextAuthOptions {
  return {
    secret: env().NEXTAUTH_SECRET,
    session: { strategy: "jwt", maxAge: Math.round(env().SESSION_MAX_AGE_HOURS * 3600) },
    pages: { signIn: "/signin" },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials) {
          const email = credentials?.email?.trim().toLowerCase();
          const password = credentials?.password ?? "";
          if (!email || !password) return null;
          const user = await db().user.findUnique({ where: { email } });
          unknownUserHash ??= hashPassword("no such user");
          const valid = await verifyPassword(password, user?.passwordHash ?? (await unknownUserHash));
          if (!user || !valid || user.disabledAt) {
            log.info({ email }, "sign-in rejected");
            return null;
          }
          log.info({ userId: user.id }, "signed in");
          return { id: user.id, email: user.email, name: user.name, role: user.role };
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) token.role = (user as unknown as { role: Role }).role;
        return token;
      },
      session({ session, token }) {
        return { ...session, user: { ...session.user, id: token.sub, role: token.role } };
      },
    },
  };
}
