import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runningInstanceDatabaseUrl } from "@/lib/db/embedded";
import { DEMO_PASSWORD } from "@/lib/users/demo-users";
import { startFlowgate, type FlowgateProcess } from "../support/flowgate-process";
import { runScript } from "../support/flowgate-process";
import { signIn, signInAttempt } from "../support/http-session";

/**
 * Password guessing against a running Flowgate: per account and per client address, growing
 * holds and a lock, the same answer for accounts that do not exist, and every attempt in the
 * audit log (never the password).
 */
describe("sign-in throttling", () => {
  let app: FlowgateProcess;
  let client: pg.Client;
  const auditOf = async (email: string) =>
    (await client.query<{ action: string; payload: Record<string, unknown> }>(`SELECT action, (content::jsonb)->'payload' AS payload FROM "AuditEvent" WHERE action LIKE 'sign_in.%' AND (content::jsonb)->'payload'->>'email' = $1 ORDER BY sequence`, [email])).rows;

  beforeAll(async () => {
    app = await startFlowgate();
    client = new pg.Client({ connectionString: runningInstanceDatabaseUrl(app.dataDir)! });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    expect(await app?.stop()).toBe(0);
  });

  it("holds an account back after a few wrong passwords, refuses even the right one while held, and says how long", async () => {
    const answers: (string | null)[] = [];
    for (let i = 0; i < 6; i++) answers.push((await signInAttempt(app.url, "manager@flowgate.local", `wrong-${i}`, { address: "203.0.113.10" })).error);
    expect(answers.slice(0, 4)).toEqual(["CredentialsSignin", "CredentialsSignin", "CredentialsSignin", "CredentialsSignin"]);
    // The fourth failure earned a hold; the attempts after it are refused before any password check.
    expect(answers[4]).toMatch(/^Too many failed sign-ins\. Try again in \d+ s\.$/);
    const right = await signInAttempt(app.url, "manager@flowgate.local", DEMO_PASSWORD, { address: "203.0.113.11" });
    expect(right.signedIn).toBe(false);
    expect(right.error).toMatch(/^Too many failed sign-ins/);
    const events = await auditOf("manager@flowgate.local");
    expect(events.filter((e) => e.action === "sign_in.failed")).toHaveLength(4);
    expect(events.filter((e) => e.action === "sign_in.throttled").length).toBeGreaterThanOrEqual(3);
    expect(events[0].payload).toMatchObject({ email: "manager@flowgate.local", address: "203.0.113.10", reason: "wrong password", accountFailures: 1 });
    expect(JSON.stringify(events)).not.toContain("wrong-0");
  });

  it("locks an account that 100 guesses from 100 addresses target, and says so once in the audit log", async () => {
    const created = await runScript("ctl.ts", ["user", "create", "--email", "target@example.com", "--role", "admin"], { FLOWGATE_DATA_DIR: app.dataDir }, "the-real-password\n");
    expect(created.code, created.stderr).toBe(0);
    const answers: (string | null)[] = [];
    for (let i = 0; i < 100; i++) answers.push((await signInAttempt(app.url, "target@example.com", `guess-${i}`, { address: `100.64.${Math.floor(i / 250)}.${i % 250}` })).error);
    // Spread over addresses, the account key alone holds: free failures, holds, then the lock.
    expect(answers.slice(0, 3).every((e) => e === "CredentialsSignin")).toBe(true);
    expect(answers.slice(10).every((e) => e?.startsWith("Too many failed sign-ins. Try again in"))).toBe(true);
    expect(answers.at(-1)).toMatch(/Try again in 1[45] minutes\.$/);
    const events = await auditOf("target@example.com");
    expect(events.filter((e) => e.action === "sign_in.locked")).toEqual([expect.objectContaining({ payload: expect.objectContaining({ by: "account" }) })]);
    expect(events.filter((e) => e.action === "sign_in.failed" || e.action === "sign_in.throttled")).toHaveLength(100);
    // The right password is refused while the lock holds.
    expect((await signInAttempt(app.url, "target@example.com", "the-real-password", { address: "100.64.9.9" })).signedIn).toBe(false);
  });

  it("answers an account that does not exist exactly like one that does", async () => {
    const known: (string | null)[] = [];
    const unknown: (string | null)[] = [];
    for (let i = 0; i < 6; i++) {
      known.push((await signInAttempt(app.url, "auditor@flowgate.local", "nope", { address: `198.51.100.${i}` })).error?.replace(/\d+/g, "N") ?? null);
      unknown.push((await signInAttempt(app.url, "nobody@flowgate.local", "nope", { address: `198.51.100.${100 + i}` })).error?.replace(/\d+/g, "N") ?? null);
    }
    expect(unknown).toEqual(known);
    expect((await auditOf("nobody@flowgate.local"))[0].payload).toMatchObject({ reason: "unknown account" });
  });

  it("locks a client address that sprays one password across many accounts, and still lets other addresses in", async () => {
    const spray: (string | null)[] = [];
    for (let i = 0; i < 100; i++) spray.push((await signInAttempt(app.url, `user${i}@example.com`, "Winter2026!", { address: "192.0.2.66" })).error);
    // Ten free failures, then growing holds, then the lock at fifty: every later attempt is refused unchecked.
    expect(spray.slice(0, 10).every((e) => e === "CredentialsSignin")).toBe(true);
    expect(spray.slice(60).every((e) => e?.startsWith("Too many failed sign-ins"))).toBe(true);
    const locked = await client.query(`SELECT action, (content::jsonb)->'payload' AS payload FROM "AuditEvent" WHERE action = 'sign_in.locked' AND (content::jsonb)->'payload'->>'address' = '192.0.2.66'`);
    expect(locked.rows[0].payload).toMatchObject({ by: "address" });
    expect((await signInAttempt(app.url, "reviewer@flowgate.local", DEMO_PASSWORD, { address: "192.0.2.67" })).signedIn).toBe(true);
    const succeeded = await auditOf("reviewer@flowgate.local");
    expect(succeeded.at(-1)).toMatchObject({ action: "sign_in.succeeded", payload: { address: "192.0.2.67", method: "password" } });
  }, 120_000);

  it("applies a role change, a disabled account and 'sign out everywhere' at once, each in the audit log", async () => {
    const admin = (await signIn(app.url, "admin@flowgate.local", DEMO_PASSWORD))!;
    const created = await runScript("ctl.ts", ["user", "create", "--email", "temp@example.com", "--role", "reviewer"], { FLOWGATE_DATA_DIR: app.dataDir }, "a-long-password\n");
    expect(created.code, created.stderr).toBe(0);
    const userId = created.stdout.trim();
    const session = (await signIn(app.url, "temp@example.com", "a-long-password"))!;
    const me = async (cookie: string) => (await fetch(`${app.url}/api/v1/me`, { headers: { cookie } })).status;
    const patch = (body: unknown) =>
      fetch(`${app.url}/api/v1/users/${userId}`, { method: "PATCH", headers: { cookie: admin, "content-type": "application/json" }, body: JSON.stringify(body) });
    const escalations = async () => (await fetch(`${app.url}/api/v1/escalations`, { headers: { cookie: session } })).status;

    expect(await escalations()).toBe(200);
    expect((await patch({ role: "manager" })).status).toBe(200);
    expect(await escalations()).toBe(403); // the same session, the new role, at once

    expect((await patch({ signOutEverywhere: true })).status).toBe(200);
    expect(await me(session)).toBe(401);
    const again = (await signIn(app.url, "temp@example.com", "a-long-password"))!;
    expect(await me(again)).toBe(200);

    expect((await patch({ disabled: true })).status).toBe(200);
    expect(await me(again)).toBe(401);
    expect((await signInAttempt(app.url, "temp@example.com", "a-long-password", { address: "203.0.113.99" })).signedIn).toBe(false);

    const actions = (await client.query<{ action: string }>(`SELECT action FROM "AuditEvent" WHERE "subjectId" = $1 ORDER BY sequence`, [userId])).rows.map((r) => r.action);
    expect(actions).toEqual(["user.created", "sign_in.succeeded", "user.role_changed", "user.sessions_revoked", "sign_in.succeeded", "user.disabled", "sign_in.failed"]);
  });

  it("records a sign-out, and the signed-out session's cookie is refused even if someone kept a copy", async () => {
    const cookie = (await signIn(app.url, "reviewer2@flowgate.local", DEMO_PASSWORD))!;
    const me = async () => (await fetch(`${app.url}/api/v1/me`, { headers: { cookie } })).status;
    expect(await me()).toBe(200);
    const csrf = await fetch(`${app.url}/api/auth/csrf`, { headers: { cookie } });
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const csrfCookie = csrf.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const out = await fetch(`${app.url}/api/auth/signout`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: `${cookie}; ${csrfCookie}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken, json: "true" }),
    });
    expect(out.status).toBeLessThan(400);
    expect(await me()).toBe(401);
    const events = (await auditOf("reviewer2@flowgate.local")).map((e) => e.action);
    expect(events.at(-1)).toBe("sign_in.succeeded");
    const signOut = await client.query(`SELECT 1 FROM "AuditEvent" WHERE action = 'sign_out' AND (content::jsonb)->'payload'->>'email' = 'reviewer2@flowgate.local'`);
    expect(signOut.rowCount).toBe(1);
  });

  it("records an API token's first use once, however many requests arrive together", async () => {
    const created = await runScript("ctl.ts", ["token", "create", "--user", "auditor@flowgate.local", "--name", "first-use", "--scopes", "runs:read"], { FLOWGATE_DATA_DIR: app.dataDir });
    const token = created.stdout.trim();
    const statuses = await Promise.all(Array.from({ length: 8 }, () => fetch(`${app.url}/api/v1/runs`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const events = await client.query(`SELECT action FROM "AuditEvent" WHERE action = 'api_token.first_used' AND (content::jsonb)->'payload'->>'name' = 'first-use'`);
    expect(events.rowCount).toBe(1);
  });
});

describe("session idle timeout", () => {
  let app: FlowgateProcess;
  beforeAll(async () => {
    // Three seconds of idleness end a session here (SESSION_IDLE_MINUTES takes fractions).
    app = await startFlowgate({ env: { SESSION_IDLE_MINUTES: "0.05" } });
  });
  afterAll(async () => {
    expect(await app?.stop()).toBe(0);
  });

  it("ends a session nobody used for the idle time, once, with an access event", async () => {
    const cookie = (await signIn(app.url, "auditor@flowgate.local", DEMO_PASSWORD))!;
    const me = async () => (await fetch(`${app.url}/api/v1/me`, { headers: { cookie } })).status;
    expect(await me()).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(await me()).toBe(401);
    expect(await me()).toBe(401);
    const client = new pg.Client({ connectionString: runningInstanceDatabaseUrl(app.dataDir)! });
    await client.connect();
    try {
      const expired = await client.query(`SELECT (content::jsonb)->'payload' AS payload FROM "AuditEvent" WHERE action = 'session.expired'`);
      expect(expired.rows).toHaveLength(1);
      expect(expired.rows[0].payload).toMatchObject({ email: "auditor@flowgate.local", reason: "idle" });
    } finally {
      await client.end();
    }
    // Signing in again starts a new session.
    const again = (await signIn(app.url, "auditor@flowgate.local", DEMO_PASSWORD))!;
    expect((await fetch(`${app.url}/api/v1/me`, { headers: { cookie: again } })).status).toBe(200);
  });
});
