import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import { CODE_HOST_DELIVERY_JOB } from "@/lib/code-host/intake/delivery-job";
import { MAX_GITLAB_PAYLOAD_BYTES } from "@/lib/code-host/gitlab/receive-webhook";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { mergeRequestHook } from "../support/gitlab-webhook-examples";

type Handler = (req: Request, segment: { params: Promise<Record<string, string>> }) => Promise<Response>;

const TOKEN = "gitlab-webhook-secret-token-0123456789";
// As GitLab sends it (docs.gitlab.com's merge request event example, test/support/gitlab-webhook-examples.ts).
const OPENED = JSON.stringify(mergeRequestHook({ action: "open" }));

interface Delivery {
  body?: string;
  uuid?: string | null;
  event?: string | null;
  token?: string | null;
  headers?: Record<string, string>;
}

describe("GitLab webhooks (POST /api/v1/hooks/gitlab)", () => {
  let t: TestDatabase;
  let POST: Handler;

  function deliver(options: Delivery = {}): Promise<Response> {
    const body = options.body ?? OPENED;
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "GitLab/18.0.0", ...options.headers };
    const uuid = options.uuid === undefined ? randomUUID() : options.uuid;
    const event = options.event === undefined ? "Merge Request Hook" : options.event;
    const token = options.token === undefined ? TOKEN : options.token;
    if (uuid !== null) headers["x-gitlab-event-uuid"] = uuid;
    if (event !== null) headers["x-gitlab-event"] = event;
    if (token !== null) headers["x-gitlab-token"] = token;
    return POST(new Request("http://localhost/api/v1/hooks/gitlab", { method: "POST", headers, body }), { params: Promise.resolve({}) });
  }

  const count = async (sql: string) => Number((await t.sql<{ n: string }>(sql))[0].n);
  const totals = async () => ({
    deliveries: await count(`SELECT count(*) AS n FROM "CodeHostDelivery"`),
    jobs: await count(`SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = '${CODE_HOST_DELIVERY_JOB}'`),
  });

  beforeAll(async () => {
    t = await createTestDatabase();
    process.env.DATABASE_URL = t.url;
    process.env.NEXTAUTH_SECRET ??= "gitlab-webhooks-test-secret-0123456789abcdef";
    POST = (await import("@/app/api/v1/hooks/gitlab/route")).POST as Handler;
  });
  afterAll(async () => t?.drop());

  beforeEach(async () => {
    process.env.GITLAB_WEBHOOK_TOKEN = TOKEN;
    await t.sql(`DELETE FROM "CodeHostDelivery"`);
    await t.sql(`DELETE FROM graphile_worker._private_jobs`);
  });

  it("records a delivery with the right token once, with host gitlab, its audit event and its job", async () => {
    const uuid = randomUUID();
    const response = await deliver({ uuid });
    expect(response.status).toBe(202);
    const body = await response.json();
    expect(body).toMatchObject({ deliveryId: uuid, status: "received" });
    const [row] = await t.sql(`SELECT * FROM "CodeHostDelivery"`);
    expect(row).toMatchObject({ id: body.id, host: "gitlab", deliveryId: uuid, event: "Merge Request Hook", action: "open", status: "received", payloadHash: createHash("sha256").update(OPENED).digest("hex") });
    const events = await t.sql(`SELECT "actorId", content::jsonb -> 'payload' AS payload FROM "AuditEvent" WHERE action = 'codehost.delivery_received'`);
    expect(events).toEqual([
      { actorId: "gitlab", payload: { host: "gitlab", deliveryId: uuid, event: "Merge Request Hook", action: "open", repository: "gitlabhq/gitlab-test", payloadHash: row.payloadHash, status: "received" } },
    ]);
    expect(await totals()).toEqual({ deliveries: 1, jobs: 1 });
    expect((await verifyAuditChain(t.db)).ok).toBe(true);

    // GitLab's retry of the same event: same UUID (and an Idempotency-Key): 200, nothing more.
    const again = await deliver({ uuid, headers: { "idempotency-key": randomUUID() } });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ duplicate: true, deliveryId: uuid });
    expect(await totals()).toEqual({ deliveries: 1, jobs: 1 });
  });

  it("records an event GitLab sends only with an Idempotency-Key by that key", async () => {
    const key = randomUUID();
    expect((await deliver({ uuid: null, headers: { "idempotency-key": key } })).status).toBe(202);
    expect((await t.sql(`SELECT "deliveryId" FROM "CodeHostDelivery"`))[0].deliveryId).toBe(key);
  });

  it("refuses a wrong, shorter, longer or missing token with 401, storing nothing", async () => {
    for (const token of ["not-the-token", TOKEN.slice(0, -1), `${TOKEN}x`, "", null]) {
      const response = await deliver({ token });
      expect(response.status, String(token)).toBe(401);
      expect((await response.json()).error.code).toBe("unauthenticated");
    }
    expect(await totals()).toEqual({ deliveries: 0, jobs: 0 });
  });

  it("answers 503 without GITLAB_WEBHOOK_TOKEN, 413 over the cap, 400 without the event headers", async () => {
    delete process.env.GITLAB_WEBHOOK_TOKEN;
    expect((await deliver()).status).toBe(503);
    process.env.GITLAB_WEBHOOK_TOKEN = TOKEN;
    expect((await deliver({ headers: { "content-length": String(MAX_GITLAB_PAYLOAD_BYTES + 1) } })).status).toBe(413);
    expect((await deliver({ uuid: null })).status).toBe(400);
    expect((await deliver({ event: null })).status).toBe(400);
    expect(await totals()).toEqual({ deliveries: 0, jobs: 0 });
  });

  it("records other events and actions as ignored, without a job or payload; a non-JSON body as failed", async () => {
    const push = await deliver({ event: "Push Hook", body: JSON.stringify({ object_kind: "push", project: { path_with_namespace: "gitlabhq/gitlab-test" } }) });
    expect(push.status).toBe(202);
    expect(await push.json()).toMatchObject({ status: "ignored", reason: "Push Hook events are not acted on" });
    const approved = await deliver({ body: JSON.stringify(mergeRequestHook({ action: "approved" })) });
    expect(await approved.json()).toMatchObject({ status: "ignored" });
    expect((await deliver({ body: "not json" })).status).toBe(400);
    const rows = await t.sql(`SELECT status, payload FROM "CodeHostDelivery" ORDER BY status`);
    expect(rows.map((r) => [r.status, r.payload])).toEqual([["failed", null], ["ignored", null], ["ignored", null]]);
    expect((await totals()).jobs).toBe(0);
  });
});
