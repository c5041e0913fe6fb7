import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import { CODE_HOST_DELIVERY_JOB } from "@/lib/code-host/intake/delivery-job";
import { MAX_GITHUB_PAYLOAD_BYTES } from "@/lib/code-host/github/receive-webhook";
import { signGithubPayload } from "@/lib/code-host/github/webhook-signature";
import { createTestDatabase, type TestDatabase } from "../support/database";

type Handler = (req: Request, segment: { params: Promise<Record<string, string>> }) => Promise<Response>;

const SECRET = "current-webhook-secret-0123456789";
const PREVIOUS = "previous-webhook-secret-0123456789";

// GitHub's documented example of a pull request being opened, with the App's installation, as
// GitHub sends it: indented JSON, so any re-serialisation changes the bytes.
const examples: { name: string; examples: Record<string, unknown>[] }[] = JSON.parse(
  fs.readFileSync(path.resolve(import.meta.dirname, "../../node_modules/@octokit/webhooks-examples/api.github.com/index.json"), "utf8"),
);
const openedExample = examples.find((e) => e.name === "pull_request")!.examples.find((e) => e.action === "opened" && e.installation)!;
const labeledExample = examples.find((e) => e.name === "pull_request")!.examples.find((e) => e.action === "labeled")!;
const OPENED = JSON.stringify(openedExample, null, 2);

interface Delivery {
  body?: string;
  id?: string | null;
  event?: string | null;
  signature?: string | null;
  secret?: string;
  headers?: Record<string, string>;
}

describe("GitHub webhooks (POST /api/v1/hooks/github)", () => {
  let t: TestDatabase;
  let POST: Handler;

  function deliver(options: Delivery = {}): Promise<Response> {
    const body = options.body ?? OPENED;
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "GitHub-Hookshot/test", ...options.headers };
    const id = options.id === undefined ? randomUUID() : options.id;
    const event = options.event === undefined ? "pull_request" : options.event;
    const signature = options.signature === undefined ? signGithubPayload(body, options.secret ?? SECRET) : options.signature;
    if (id !== null) headers["x-github-delivery"] = id;
    if (event !== null) headers["x-github-event"] = event;
    if (signature !== null) headers["x-hub-signature-256"] = signature;
    return POST(new Request("http://localhost/api/v1/hooks/github", { method: "POST", headers, body }), { params: Promise.resolve({}) });
  }

  const count = async (sql: string) => Number((await t.sql<{ n: string }>(sql))[0].n);
  const deliveries = () => count(`SELECT count(*) AS n FROM "CodeHostDelivery"`);
  const jobs = () => count(`SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = '${CODE_HOST_DELIVERY_JOB}'`);
  const audits = () => count(`SELECT count(*) AS n FROM "AuditEvent" WHERE action = 'codehost.delivery_received'`);
  const totals = async () => ({ deliveries: await deliveries(), jobs: await jobs(), audits: await audits() });

  beforeAll(async () => {
    t = await createTestDatabase();
    // The handler uses the process-wide client, which reads DATABASE_URL on first use.
    process.env.DATABASE_URL = t.url;
    process.env.NEXTAUTH_SECRET ??= "github-webhooks-test-secret-0123456789abcdef";
    POST = (await import("@/app/api/v1/hooks/github/route")).POST as Handler;
  });
  afterAll(async () => t?.drop());

  beforeEach(async () => {
    process.env.GITHUB_WEBHOOK_SECRET = SECRET;
    delete process.env.GITHUB_WEBHOOK_SECRET_PREVIOUS;
    await t.sql(`DELETE FROM "CodeHostDelivery"`);
    await t.sql(`DELETE FROM graphile_worker._private_jobs`);
  });

  it("records a signed delivery once, with its audit event and its job, and answers 202", async () => {
    const id = randomUUID();
    const response = await deliver({ id });
    expect(response.status).toBe(202);
    const body = await response.json();
    expect(body).toMatchObject({ deliveryId: id, status: "received" });

    const [row] = await t.sql(`SELECT * FROM "CodeHostDelivery"`);
    expect(row).toMatchObject({
      id: body.id,
      host: "github",
      deliveryId: id,
      event: "pull_request",
      action: "opened",
      status: "received",
      outcome: null,
      processedAt: null,
      payloadHash: createHash("sha256").update(OPENED).digest("hex"),
    });
    expect(row.payload).toEqual(openedExample);

    const [job] = await t.sql(`SELECT t.identifier AS task_identifier, j.payload, j.max_attempts FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id`);
    expect(job).toEqual({ task_identifier: "codeHost.delivery", payload: { deliveryId: body.id }, max_attempts: 5 });

    const events = await t.sql(`SELECT "actorType", "actorId", "subjectType", "subjectId", content::jsonb -> 'payload' AS payload FROM "AuditEvent" WHERE action = 'codehost.delivery_received'`);
    expect(events).toEqual([
      {
        actorType: "system",
        actorId: "github",
        subjectType: "code_host_delivery",
        subjectId: body.id,
        payload: { host: "github", deliveryId: id, event: "pull_request", action: "opened", repository: "Codertocat/Hello-World", payloadHash: row.payloadHash, status: "received" },
      },
    ]);
    // Never the body: no title, no text of the pull request in the audit chain.
    const [{ content }] = await t.sql<{ content: string }>(`SELECT content FROM "AuditEvent" WHERE action = 'codehost.delivery_received'`);
    expect(content).not.toContain("Update the README");
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  it("answers a repeated delivery id 200 { duplicate: true } and stores and enqueues nothing more", async () => {
    const id = randomUUID();
    expect((await deliver({ id })).status).toBe(202);
    const again = await deliver({ id });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ duplicate: true, deliveryId: id });
    expect(await totals()).toEqual({ deliveries: 1, jobs: 1, audits: expect.any(Number) });
    expect(await count(`SELECT count(*) AS n FROM "AuditEvent" WHERE content::jsonb -> 'payload' ->> 'deliveryId' = '${id}'`)).toBe(1);
  });

  it("refuses a bad signature, a missing one and one for other bytes with 401, storing nothing", async () => {
    const before = await totals();
    for (const options of [
      { signature: signGithubPayload(OPENED, "not-the-secret") },
      { signature: null },
      { signature: "" },
      { signature: "sha256=" },
      { signature: signGithubPayload(OPENED, SECRET).replace("sha256=", "sha1=") },
      // The same JSON serialised again (other whitespace) with the original's signature: only raw bytes verify.
      { body: JSON.stringify(JSON.parse(OPENED)), signature: signGithubPayload(OPENED, SECRET) },
    ]) {
      const response = await deliver(options);
      expect(response.status, JSON.stringify(options).slice(0, 80)).toBe(401);
      expect((await response.json()).error.code).toBe("unauthenticated");
    }
    expect(await totals()).toEqual(before);
    expect(await deliveries()).toBe(0);
  });

  it("answers 503 and stores nothing while no webhook secret is configured", async () => {
    delete process.env.GITHUB_WEBHOOK_SECRET;
    process.env.GITHUB_WEBHOOK_SECRET_PREVIOUS = "";
    const response = await deliver({ signature: null });
    expect(response.status).toBe(503);
    expect((await response.json()).error.message).toMatch(/GITHUB_WEBHOOK_SECRET/);
    expect((await deliver()).status).toBe(503);
    expect(await deliveries()).toBe(0);
    expect(await jobs()).toBe(0);
  });

  it("accepts the previous secret during a rotation, and not once it is unset", async () => {
    process.env.GITHUB_WEBHOOK_SECRET_PREVIOUS = PREVIOUS;
    expect((await deliver({ secret: PREVIOUS })).status).toBe(202);
    expect((await deliver({ secret: SECRET })).status).toBe(202);
    delete process.env.GITHUB_WEBHOOK_SECRET_PREVIOUS;
    expect((await deliver({ secret: PREVIOUS })).status).toBe(401);
    expect(await deliveries()).toBe(2);
  });

  it("records malformed JSON under a valid signature as failed, answers 400, and enqueues nothing", async () => {
    const id = randomUUID();
    const body = '{"action": "opened", "pull_request": ';
    const response = await deliver({ id, body });
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toMatch(/not valid JSON/);
    const [row] = await t.sql(`SELECT status, outcome, payload, action, "processedAt" FROM "CodeHostDelivery" WHERE "deliveryId" = $1`, [id]);
    expect(row).toMatchObject({ status: "failed", outcome: "the body is not valid JSON", payload: null, action: null });
    expect(row.processedAt).toBeInstanceOf(Date);
    expect(await jobs()).toBe(0);
    // GitHub redelivering the same failed delivery: already recorded.
    expect((await deliver({ id, body })).status).toBe(200);
    // Signed JSON that is not an object, and a form-encoded webhook, fail the same way.
    expect((await deliver({ body: "[1,2,3]" })).status).toBe(400);
    expect((await deliver({ body: `payload=${encodeURIComponent(OPENED)}`, headers: { "content-type": "application/x-www-form-urlencoded" } })).status).toBe(400);
    expect(await t.sql(`SELECT outcome FROM "CodeHostDelivery" WHERE status = 'failed' ORDER BY "receivedAt"`)).toEqual([
      { outcome: "the body is not valid JSON" },
      { outcome: "the body is not a JSON object" },
      { outcome: "the webhook sends form-encoded payloads; set its content type to application/json" },
    ]);
    expect(await jobs()).toBe(0);
  });

  it("refuses a signed delivery without a delivery id or event (400), storing nothing", async () => {
    expect((await deliver({ id: null })).status).toBe(400);
    expect((await deliver({ event: null })).status).toBe(400);
    expect((await deliver({ id: "x".repeat(500) })).status).toBe(400);
    expect(await deliveries()).toBe(0);
  });

  it("records an event Flowgate does not act on as ignored: no job, no payload kept", async () => {
    const body = JSON.stringify(labeledExample);
    const response = await deliver({ body });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: "ignored", reason: "pull_request labeled changes nothing Flowgate acts on" });
    const pingResponse = await deliver({ event: "ping", body: JSON.stringify({ zen: "Design for failure.", hook_id: 1 }) });
    expect(pingResponse.status).toBe(202);
    expect(await t.sql(`SELECT event, action, status, payload FROM "CodeHostDelivery" ORDER BY "receivedAt"`)).toEqual([
      { event: "pull_request", action: "labeled", status: "ignored", payload: null },
      { event: "ping", action: null, status: "ignored", payload: null },
    ]);
    expect(await jobs()).toBe(0);
  });

  it("keeps a payload PostgreSQL's jsonb would refuse (a NUL, a lone surrogate), with U+FFFD in their place", async () => {
    const pr = openedExample.pull_request as Record<string, unknown>;
    const body = JSON.stringify({ ...openedExample, pull_request: { ...pr, title: "nul \u0000 here", body: "lone \ud800 surrogate" } });
    expect(body).toContain("\\u0000");
    const response = await deliver({ body });
    expect(response.status).toBe(202);
    const [row] = await t.sql(`SELECT payload -> 'pull_request' ->> 'title' AS title, payload -> 'pull_request' ->> 'body' AS body, "payloadHash" FROM "CodeHostDelivery"`);
    expect(row).toEqual({ title: "nul \uFFFD here", body: "lone \uFFFD surrogate", payloadHash: createHash("sha256").update(body).digest("hex") });
  });

  it("refuses a body over 25 MB with 413 before hashing or storing it", async () => {
    const declared = await deliver({ body: "{}", headers: { "content-length": String(MAX_GITHUB_PAYLOAD_BYTES + 1) } });
    expect(declared.status).toBe(413);
    const big = `{"padding":"${"x".repeat(MAX_GITHUB_PAYLOAD_BYTES)}"}`;
    const actual = await deliver({ body: big });
    expect(actual.status).toBe(413);
    expect(await deliveries()).toBe(0);
  });

  it("records a burst of 100 concurrent deliveries with 10 repeats exactly 90 times, with 90 jobs", async () => {
    const ids = Array.from({ length: 90 }, () => randomUUID());
    const burst = [...ids, ...ids.slice(0, 10)];
    const auditsBefore = await audits();
    const responses = await Promise.all(burst.map((id) => deliver({ id })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(90);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(await deliveries()).toBe(90);
    expect(await jobs()).toBe(90);
    expect(await count(`SELECT count(DISTINCT payload ->> 'deliveryId') AS n FROM graphile_worker._private_jobs`)).toBe(90);
    expect((await audits()) - auditsBefore).toBe(90);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });
});
