import { getToken } from "next-auth/jwt";
import type { AuditActor } from "../audit/chain/append-audit-event";
import type { Db } from "../db/client";
import { env } from "../env";
import { resolveApiToken } from "./api-tokens";
import { roleCan, tokenCan, type Permission, type Role } from "./roles";
import { userOfSession } from "./sessions";

/** The person (or their API token) behind a request. */
export interface Actor {
  via: "session" | "token";
  user: { id: string; email: string; name: string; role: Role };
  tokenId?: string;
  scopes?: string[];
}

export function actorCan(actor: Actor, permission: Permission): boolean {
  return actor.via === "token"
    ? tokenCan(actor.user.role, actor.scopes ?? [], permission)
    : roleCan(actor.user.role, permission);
}

export function auditActor(actor: Actor): AuditActor {
  const label = actor.via === "token" ? `${actor.user.email} (API token ${actor.tokenId})` : actor.user.email;
  return { type: "user", id: actor.user.id, label };
}

/**
 * Resolves `Authorization: Bearer <token>` or the session cookie. The user row is read on every
 * request so a role change or a disabled account takes effect at once, not when the JWT expires.
 */
export async function resolveActor(db: Db, req: Request): Promise<Actor | null> {
  const authorization = req.headers.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    const identity = match ? await resolveApiToken(db, match[1]) : null;
    return identity ? { via: "token", user: identity.user, tokenId: identity.tokenId, scopes: identity.scopes } : null;
  }
  const jwt = await getToken({ req: req as never, secret: env().NEXTAUTH_SECRET });
  const user = jwt ? await userOfSession(db, jwt) : null;
  if (!user) return null;
  return { via: "session", user: { id: user.id, email: user.email, name: user.name, role: user.role } };
}
