import { generateKeyPairSync, randomUUID } from "node:crypto";
import { encode } from "next-auth/jwt";
import { NextRequest } from "next/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import { CODE_HOST_DELIVERY_JOB, enqueueCodeHostDeliveryJob } from "@/lib/code-host/intake/delivery-job";
import type { CodeHostSettingsResponse } from "@/lib/code-host/settings-view";
import { startSession } from "@/lib/auth/sessions";
import { createApiToken } from "@/lib/auth/api-tokens";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { submitRun } from "@/lib/runs/submit-run";
import { createUser } from "@/lib/users/create-user";
import { createTestDatabase, type TestDatabase } from "../support/database";

type Handler = (req: Request, segment: { params: Promise<Record<string, string>> }) => Promise<Response>;

const system = { type: "system", id: "test", label: "test" } as const;
const AUTH_SECRET = "code-host-settings-test-secret-0123456789abcdef";
const WEBHOOK_SECRET = "webhook-secret-value-never-shown-0123456789";
const PREVIOUS_SECRET = "previous-webhook-secret-never-shown-0123456789";
const PRIVATE_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const NOTES_DIFF = `diff --git a/docs/notes.md b/docs/notes.md
new file mode 100644
--- /dev/null
+++ b/docs/notes.md
@@ -0,0 +1 @@
+Release notes.
`;
const GITHUB_VARIABLES = ["GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET", "GITHUB_WEBHOOK_SECRET_PREVIOUS"] as const;

describe("Settings → Code host (GET /api/v1/code-host, POST /api/v1/code-host/deliveries/:id/redeliver)", () => {
  let t: TestDatabase;
  let GET: Handler;
  let REDELIVER: Handler;
  let adminCookie: string;
  let reviewerCookie: string;
  let reviewerToken: string;
  let adminId: string;
  const saved: Record<string, string | undefined> = {};

  async function sessionCookie(userId: string, email: string, role: "admin" | "reviewer") {
    const sessionId = await startSession(t.db, userId);
    const token = await encode({ token: { sub: userId, email, role, sessionId, signedInAt: Date.now() }, secret: AUTH_SECRET, maxAge: 3600 });
    return `next-auth.session-token=${token}`;
  }

  function request(method: "GET" | "POST", path: string, auth: { cookie?: string; token?: string } = {}) {
    const headers: Record<string, string> = {};
    if (auth.cookie) headers.cookie = auth.cookie;
    if (auth.token) headers.authorization = `Bearer ${auth.token}`;
    if (method === "POST") headers.origin = "http://localhost";
    return new NextRequest(`http://localhost${path}`, { method, headers });
  }
  const view = (auth: { cookie?: string; token?: string } = { cookie: adminCookie }) =>
    GET(request("GET", "/api/v1/code-host", auth), { params: Promise.resolve({}) });
  const redeliver = (id: string, auth: { cookie?: string; token?: string } = { cookie: adminCookie }) =>
    REDELIVER(request("POST", `/api/v1/code-host/deliveries/${id}/redeliver`, auth), { params: Promise.resolve({ id }) });

  const count = async (sql: string, params: unknown[] = []) => Number((await t.sql<{ n: string }>(sql, params))[0].n);
  const deliveryJobs = () => count(`SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = $1`, [CODE_HOST_DELIVERY_JOB]);
  const redeliveredEvents = () => count(`SELECT count(*) AS n FROM "AuditEvent" WHERE action = 'codehost.delivery_redelivered'`);

  async function delivery(data: { status: string; payload?: object | null; outcome?: string | null; event?: string; receivedAt?: Date }) {
    return t.db.codeHostDelivery.create({
      data: {
        host: "github",
        deliveryId: randomUUID(),
        event: data.event ?? "pull_request",
        action: "opened",
        payloadHash: "0".repeat(64),
        ...(data.payload ? { payload: data.payload } : {}),
        status: data.status,
        outcome: data.outcome ?? null,
        processedAt: data.status === "received" ? null : new Date(),
        ...(data.receivedAt ? { receivedAt: data.receivedAt } : {}),
      },
    });
  }

  beforeAll(async () => {
    for (const name of GITHUB_VARIABLES) saved[name] = process.env[name];
    t = await createTestDatabase();
    // The handlers use the process-wide client, which reads DATABASE_URL on first use.
    process.env.DATABASE_URL = t.url;
    process.env.NEXTAUTH_SECRET = AUTH_SECRET;
    GET = (await import("@/app/api/v1/code-host/route")).GET as Handler;
    REDELIVER = (await import("@/app/api/v1/code-host/deliveries/[id]/redeliver/route")).POST as Handler;
    await ensureDefaultPolicy(t.db);
    const admin = await createUser(t.db, { input: { email: "admin@example.com", role: "admin", password: "long-enough-password" }, actor: system });
    const reviewer = await createUser(t.db, { input: { email: "reviewer@example.com", role: "reviewer", password: "long-enough-password" }, actor: system });
    adminId = admin.id;
    adminCookie = await sessionCookie(admin.id, admin.email, "admin");
    reviewerCookie = await sessionCookie(reviewer.id, reviewer.email, "reviewer");
    reviewerToken = (await createApiToken(t.db, { userId: reviewer.id, input: { name: "ci", scopes: ["runs:read", "runs:write"] }, actor: system })).token;
  });
  afterAll(async () => {
    for (const name of GITHUB_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await t?.drop();
  });
  beforeEach(async () => {
    for (const name of GITHUB_VARIABLES) delete process.env[name];
    await t.sql(`DELETE FROM "CodeHostDelivery"`);
    await t.sql(`DELETE FROM graphile_worker._private_jobs`);
  });
  afterEach(() => {
    for (const name of GITHUB_VARIABLES) delete process.env[name];
  });

  it("lists the repositories, the last deliveries (which may be redelivered) and the publications that could not be sent", async () => {
    const active = await t.db.repository.create({ data: { name: "octo/shop", kind: "github", location: "octo/shop", hostInstallationId: "42" } });
    const removed = await t.db.repository.create({ data: { name: "octo/old", kind: "github", location: "octo/old", hostInstallationId: "42", hostRemovedAt: new Date() } });
    await t.db.repository.create({ data: { name: "local-shop", kind: "remote", location: "https://git.example/shop.git" } });

    const processed = await delivery({ status: "processed", outcome: "started run", receivedAt: new Date(Date.now() - 3000) });
    const failedKept = await delivery({ status: "failed", payload: { pull_request: { title: "Secret plans" } }, outcome: "GitHub said 502", receivedAt: new Date(Date.now() - 2000) });
    const failedGone = await delivery({ status: "failed", outcome: "old failure", receivedAt: new Date(Date.now() - 1000) });

    const { run } = await submitRun(t.db, {
      actor: system,
      input: { repository: "octo/shop", prNumber: 7, title: "Change", author: "dev@example.com", baseSha: "a".repeat(40), headSha: "b".repeat(40), diff: NOTES_DIFF },
    });
    await t.db.codeHostPublication.deleteMany({});
    const base = { runId: run.id, headSha: "b".repeat(40), payload: {} };
    await t.db.codeHostPublication.createMany({
      data: [
        { ...base, kind: "check", name: "flowgate/review", status: "sent" },
        { ...base, kind: "check", name: "flowgate/test", status: "superseded" },
        { ...base, kind: "check", name: "flowgate/gate", status: "pending", error: "rate-limited until 12:00" },
        { ...base, kind: "check", name: "flowgate/deploy", status: "pending" },
        { ...base, kind: "comment", name: "merge", status: "failed", error: "not merged: Head branch was modified" },
      ],
    });

    const response = await view();
    expect(response.status).toBe(200);
    const body = (await response.json()) as CodeHostSettingsResponse;
    expect(body.github).toMatchObject({ configured: false, webhookSecretSet: false, previousSecretSet: false, webhookPath: "/api/v1/hooks/github" });
    expect(body.github.missing).toEqual(["GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET"]);
    expect(body.repositories).toEqual([
      { id: active.id, name: "octo/shop", kind: "github", installationId: "42", removedAt: null, createdAt: expect.any(String) },
      { id: removed.id, name: "octo/old", kind: "github", installationId: "42", removedAt: expect.any(String), createdAt: expect.any(String) },
    ]);
    expect(body.deliveries.map((d) => [d.id, d.status, d.outcome, d.canRedeliver])).toEqual([
      [failedGone.id, "failed", "old failure", false],
      [failedKept.id, "failed", "GitHub said 502", true],
      [processed.id, "processed", "started run", false],
    ]);
    expect(body.deliveries[0]).toMatchObject({ host: "github", deliveryId: failedGone.deliveryId, event: "pull_request", action: "opened" });
    // The payload is never part of the view, not even for a delivery that still keeps one.
    expect(JSON.stringify(body)).not.toContain("Secret plans");
    expect(body.publications.counts).toEqual({ pending: 2, sent: 1, superseded: 1, skipped: 0, failed: 1 });
    expect(body.publications.problems.map((p) => [p.name, p.status, p.error, p.repository, p.pullRequest, p.runId])).toEqual(
      expect.arrayContaining([
        ["flowgate/gate", "pending", "rate-limited until 12:00", "octo/shop", 7, run.id],
        ["merge", "failed", "not merged: Head branch was modified", "octo/shop", 7, run.id],
      ]),
    );
    expect(body.publications.problems).toHaveLength(2);
  });

  it("says the App is configured from the variables' presence and never returns the secret or the key", async () => {
    process.env.GITHUB_APP_ID = "123456";
    process.env.GITHUB_APP_PRIVATE_KEY = PRIVATE_KEY;
    process.env.GITHUB_WEBHOOK_SECRET = WEBHOOK_SECRET;
    process.env.GITHUB_WEBHOOK_SECRET_PREVIOUS = PREVIOUS_SECRET;
    const response = await view();
    expect(response.status).toBe(200);
    const text = await response.text();
    const body = JSON.parse(text) as CodeHostSettingsResponse;
    expect(body.github).toEqual({
      configured: true,
      appIdSet: true,
      privateKeySet: true,
      webhookSecretSet: true,
      previousSecretSet: true,
      missing: [],
      invalid: [],
      webhookPath: "/api/v1/hooks/github",
    });
    expect(text).not.toContain(WEBHOOK_SECRET);
    expect(text).not.toContain(PREVIOUS_SECRET);
    expect(text).not.toContain("PRIVATE KEY");
    for (const line of PRIVATE_KEY.split("\n").filter((l) => l.length > 20)) expect(text).not.toContain(line);

    // A malformed key is named, not echoed, and the App is not configured.
    process.env.GITHUB_APP_PRIVATE_KEY = "not-a-key-but-still-secret-0123456789";
    const malformed = await view();
    const malformedText = await malformed.text();
    expect(JSON.parse(malformedText).github).toMatchObject({ configured: false, privateKeySet: false, invalid: ["GITHUB_APP_PRIVATE_KEY"], missing: [] });
    expect(malformedText).not.toContain("not-a-key-but-still-secret");
  });

  it("redelivers a failed delivery whose payload is kept: received again, one job, one audit event", async () => {
    const failed = await delivery({ status: "failed", payload: { action: "opened" }, outcome: "GitHub said 502" });
    // A job left from the delivery's first life with its attempts used up (the handler normally
    // completes the last attempt, so none is left): it never runs again, and the new one is queued beside it.
    await t.db.$transaction((tx) => enqueueCodeHostDeliveryJob(tx, { deliveryId: failed.id }));
    await t.sql(`UPDATE graphile_worker._private_jobs SET attempts = max_attempts, last_error = 'boom'`);

    const response = await redeliver(failed.id);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.delivery).toMatchObject({ id: failed.id, status: "received", outcome: null, processedAt: null, canRedeliver: false });

    const row = await t.db.codeHostDelivery.findUniqueOrThrow({ where: { id: failed.id } });
    expect(row).toMatchObject({ status: "received", outcome: null, processedAt: null, payload: { action: "opened" } });
    const runnable = await t.sql(`SELECT payload, attempts, key FROM graphile_worker._private_jobs WHERE attempts < max_attempts`);
    expect(runnable).toEqual([{ payload: { deliveryId: failed.id }, attempts: 0, key: `codehost:${failed.id}` }]);
    await t.sql(`DELETE FROM graphile_worker._private_jobs WHERE attempts >= max_attempts`);
    expect(await deliveryJobs()).toBe(1);

    const events = await t.sql(
      `SELECT "actorType", "actorId", "actorLabel", "subjectType", "subjectId", content::jsonb -> 'payload' AS payload FROM "AuditEvent" WHERE action = 'codehost.delivery_redelivered'`,
    );
    expect(events).toEqual([
      {
        actorType: "user",
        actorId: adminId,
        actorLabel: "admin@example.com",
        subjectType: "code_host_delivery",
        subjectId: failed.id,
        payload: { host: "github", deliveryId: failed.deliveryId, event: "pull_request", action: "opened" },
      },
    ]);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);

    // Clicked again: it is received now, so it is refused and nothing more is queued or recorded.
    const again = await redeliver(failed.id);
    expect(again.status).toBe(409);
    expect(await deliveryJobs()).toBe(1);
    expect(await redeliveredEvents()).toBe(1);
  });

  it("refuses a processed delivery and a failed one whose payload is gone (409), and an unknown id (404)", async () => {
    const before = await redeliveredEvents();
    const processed = await delivery({ status: "processed", outcome: "started run" });
    const payloadless = await delivery({ status: "failed", outcome: "old failure" });

    const refused = await redeliver(processed.id);
    expect(refused.status).toBe(409);
    expect((await refused.json()).error.code).toBe("conflict");
    const gone = await redeliver(payloadless.id);
    expect(gone.status).toBe(409);
    expect((await gone.json()).error.message).toMatch(/payload is no longer kept/);
    const unknown = await redeliver("no-such-delivery");
    expect(unknown.status).toBe(404);

    expect(await t.db.codeHostDelivery.findUniqueOrThrow({ where: { id: processed.id } })).toMatchObject({ status: "processed", outcome: "started run" });
    expect(await t.db.codeHostDelivery.findUniqueOrThrow({ where: { id: payloadless.id } })).toMatchObject({ status: "failed", outcome: "old failure" });
    expect(await deliveryJobs()).toBe(0);
    expect(await redeliveredEvents()).toBe(before);
  });

  it("is for admins: a reviewer (session or API token) gets 403 on both routes, nobody signed in 401", async () => {
    const failed = await delivery({ status: "failed", payload: { action: "opened" } });
    for (const auth of [{ cookie: reviewerCookie }, { token: reviewerToken }]) {
      expect((await view(auth)).status).toBe(403);
      expect((await redeliver(failed.id, auth)).status).toBe(403);
    }
    expect((await view({})).status).toBe(401);
    expect((await redeliver(failed.id, {})).status).toBe(401);
    expect((await t.db.codeHostDelivery.findUniqueOrThrow({ where: { id: failed.id } })).status).toBe("failed");
    expect(await deliveryJobs()).toBe(0);
  });
});
