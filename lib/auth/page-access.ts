import { getServerSession } from "next-auth";
import { getToken } from "next-auth/jwt";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { env } from "../env";
import { sessionStillValid } from "./sessions";
import { db } from "../db/client";
import { authOptions } from "./options";
import { roleCan, type AppPage, type Role } from "./roles";

export interface PageUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** The signed-in user for a server component, read fresh from the database; else to sign-in. */
export async function requireSignedIn(callbackUrl: string): Promise<PageUser> {
  const session = await getServerSession(authOptions());
  const user = session?.user?.id ? await db().user.findUnique({ where: { id: session.user.id } }) : null;
  const jwt = user ? await getToken({ req: { headers: Object.fromEntries((await headers()).entries()), cookies: Object.fromEntries((await cookies()).getAll().map((c) => [c.name, c.value])) } as never, secret: env().NEXTAUTH_SECRET }) : null;
  if (!user || !jwt || !(await sessionStillValid(db(), user, jwt))) redirect(`/signin?callbackUrl=${encodeURIComponent(callbackUrl)}`);
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

/** Signed in and allowed to see the page, by the same role table the API uses. */
export async function requirePageAccess(page: AppPage): Promise<{ user: PageUser; allowed: boolean }> {
  const user = await requireSignedIn(page.href);
  return { user, allowed: roleCan(user.role, page.permission) };
}
