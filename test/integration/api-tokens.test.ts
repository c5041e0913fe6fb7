import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken, resolveApiToken, revokeApiTokenOrThrow } from "@/lib/auth/api-tokens";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import { createUser } from "@/lib/users/create-user";
import { createTestDatabase, type TestDatabase } from "../support/database";

const actor = { type: "system", id: "test", label: "test" } as const;

describe("API tokens", () => {
  let t: TestDatabase;
  let userId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    const user = await createUser(t.db, { input: { email: "ci@example.com", role: "reviewer", password: "long-enough-password" }, actor });
    userId = user.id;
  });
  afterAll(async () => t?.drop());

  it("stores only a hash, resolves the token to its user and records its use", async () => {
    const { token, record } = await createApiToken(t.db, { userId, input: { name: "ci", scopes: ["runs:write"] }, actor });
    expect(token).toMatch(/^fgt_/);
    const stored = await t.db.apiToken.findUniqueOrThrow({ where: { id: record.id } });
    expect(stored.tokenHash).not.toContain(token);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(stored.lastUsedAt).toBeNull();
    const identity = await resolveApiToken(t.db, token);
    expect(identity).toMatchObject({ user: { email: "ci@example.com", role: "reviewer" }, scopes: ["runs:write"] });
    expect((await t.db.apiToken.findUniqueOrThrow({ where: { id: record.id } })).lastUsedAt).not.toBeNull();
  });

  it("rejects unknown, revoked and expired tokens, and tokens of disabled users", async () => {
    expect(await resolveApiToken(t.db, "fgt_not-a-real-token")).toBeNull();
    expect(await resolveApiToken(t.db, "Bearer nonsense")).toBeNull();

    const revoked = await createApiToken(t.db, { userId, input: { name: "old", scopes: ["runs:read"] }, actor });
    await revokeApiTokenOrThrow(t.db, { tokenId: revoked.record.id, actor });
    expect(await resolveApiToken(t.db, revoked.token)).toBeNull();

    const expiring = await createApiToken(t.db, { userId, input: { name: "short", scopes: ["runs:read"], expiresInDays: 1 }, actor });
    await t.db.apiToken.update({ where: { id: expiring.record.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await resolveApiToken(t.db, expiring.token)).toBeNull();

    const disabled = await createApiToken(t.db, { userId, input: { name: "x", scopes: ["runs:read"] }, actor });
    await t.db.user.update({ where: { id: userId }, data: { disabledAt: new Date() } });
    expect(await resolveApiToken(t.db, disabled.token)).toBeNull();
    await t.db.user.update({ where: { id: userId }, data: { disabledAt: null } });
  });

  it("audits creation and revocation without the token itself", async () => {
    const events = await t.db.auditEvent.findMany({ where: { action: { startsWith: "api_token." } }, orderBy: { sequence: "asc" } });
    expect(events.map((e) => e.action)).toContain("api_token.revoked");
    expect(events.filter((e) => e.action === "api_token.created").length).toBe(4);
    for (const event of events) expect(event.content).not.toMatch(/fgt_/);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });
});
