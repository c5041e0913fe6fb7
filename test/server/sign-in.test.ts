import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runningInstanceDatabaseUrl } from "@/lib/db/embedded";
import { DEMO_PASSWORD } from "@/lib/db/bootstrap";
import { startFlowgate, type FlowgateProcess } from "../support/flowgate-process";
import { signInAttempt } from "../support/http-session";

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
});
