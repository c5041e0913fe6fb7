import { getToken } from "next-auth/jwt";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { db } from "../db/client";
import { env } from "../env";
import { userOfSession } from "./sessions";
import { roleCan, type AppPage, type Role } from "./roles";

export interface PageUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/**
 * The signed-in user for a server component, read fresh from the database with its session record
 * (the same check route() makes for the API); else to sign-in.
 */
export async function requireSignedIn(callbackUrl: string): Promise<PageUser> {
  const req = { headers: Object.fromEntries((await headers()).entries()), cookies: Object.fromEntries((await cookies()).getAll().map((c) => [c.name, c.value])) };
  const jwt = await getToken({ req: req as never, secret: env().NEXTAUTH_SECRET });
  const user = jwt ? await userOfSession(db(), jwt) : null;
  if (!user) redirect(`/signin?callbackUrl=${encodeURIComponent(callbackUrl)}`);
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

/** Signed in and allowed to see the page, by the same role table the API uses. */
export async function requirePageAccess(page: AppPage): Promise<{ user: PageUser; allowed: boolean }> {
  const user = await requireSignedIn(page.href);
  return { user, allowed: roleCan(user.role, page.permission) };
}
