import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { appendAuditEvent, type AuditActor } from "../audit/chain/append-audit-event";
import type { Db, Prisma } from "../db/client";
import { DomainError } from "../errors";
import type { Json } from "../json";
import { tokenScopes, type Role } from "./roles";

const TOKEN_PREFIX = "fgt_";

export const createTokenSchema = z.object({
  name: z.string().trim().min(1, "name is required").max(100),
  scopes: z.array(z.enum(tokenScopes)).min(1, "at least one scope is required"),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export type CreateTokenInput = z.infer<typeof createTokenSchema>;

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export const tokenListSelect = {
  id: true,
  name: true,
  tokenPrefix: true,
  scopes: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
  expiresAt: true,
  user: { select: { email: true } },
} as const;

/** Creates a token for a user. The token is returned once; only its hash is stored. */
export async function createApiToken(db: Db, options: { userId: string; input: CreateTokenInput; actor: AuditActor }) {
  const token = TOKEN_PREFIX + randomBytes(24).toString("base64url");
  const expiresAt = options.input.expiresInDays ? new Date(Date.now() + options.input.expiresInDays * 86_400_000) : null;
  const record = await db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: options.userId } });
    if (!user) throw new DomainError("not_found", "No such user");
    const created = await tx.apiToken.create({
      data: {
        userId: user.id,
        name: options.input.name,
        scopes: options.input.scopes,
        tokenPrefix: token.slice(0, TOKEN_PREFIX.length + 6),
        tokenHash: hashToken(token),
        expiresAt,
      },
      select: tokenListSelect,
    });
    await appendAuditEvent(tx, {
      actor: options.actor,
      action: "api_token.created",
      subject: { type: "api_token", id: created.id },
      payload: { name: created.name, scopes: created.scopes, forUser: user.email, expiresAt },
    });
    return created;
  });
  return { token, record };
}

export async function revokeApiTokenOrThrow(db: Db, options: { tokenId: string; actor: AuditActor }) {
  return db.$transaction(async (tx) => {
    const existing = await tx.apiToken.findUnique({ where: { id: options.tokenId } });
    if (!existing) throw new DomainError("not_found", "No such API token");
    if (existing.revokedAt) return tx.apiToken.findUniqueOrThrow({ where: { id: existing.id }, select: tokenListSelect });
    const revoked = await tx.apiToken.update({
      where: { id: existing.id },
      data: { revokedAt: new Date() },
      select: tokenListSelect,
    });
    await appendAuditEvent(tx, {
      actor: options.actor,
      action: "api_token.revoked",
      subject: { type: "api_token", id: existing.id },
      payload: { name: existing.name },
    });
    return revoked;
  });
}

/**
 * A token's first use is an access event (SOC 2 asks when a credential started to be used). The
 * conditional update makes exactly one request the first, however many arrive at once: the others
 * wait on its row lock and then find lastUsedAt set.
 */
async function auditFirstUse(db: Db, record: { id: string; name: string; user: { id: string; email: string } }) {
  await db.$transaction(async (tx) => {
    const first = await tx.$executeRaw`UPDATE "ApiToken" SET "lastUsedAt" = now() WHERE id = ${record.id} AND "lastUsedAt" IS NULL`;
    if (first === 0) return;
    await appendAuditEvent(tx, {
      actor: { type: "user", id: record.user.id, label: `${record.user.email} (API token ${record.id})` },
      action: "api_token.first_used",
      subject: { type: "api_token", id: record.id },
      payload: { name: record.name, email: record.user.email },
    });
  });
}

export interface TokenIdentity {
  tokenId: string;
  scopes: string[];
  user: { id: string; email: string; name: string; role: Role };
}

/** Resolves a bearer token to its user, or null when unknown, revoked, expired or disabled. */
export async function resolveApiToken(db: Db, token: string): Promise<TokenIdentity | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const record = await db.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
  if (!record || record.revokedAt || record.user.disabledAt) return null;
  if (record.expiresAt && record.expiresAt <= new Date()) return null;
  if (!record.lastUsedAt) await auditFirstUse(db, record);
  await db.apiToken.update({ where: { id: record.id }, data: { lastUsedAt: new Date() } });
  const { user } = record;
  return { tokenId: record.id, scopes: record.scopes, user: { id: user.id, email: user.email, name: user.name, role: user.role } };
}

/** A token as GET /api/v1/tokens lists it: never the secret, only its prefix. */
export type TokenRow = Json<Prisma.ApiTokenGetPayload<{ select: typeof tokenListSelect }>>;
