import { createHmac, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Logger, runOnce } from "graphile-worker";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runStageJob } from "@/agents/engine/run-stage-job";
import { deliverNotification } from "@/agents/notifications/deliver";
import { createReviewAgent } from "@/agents/review/review-agent";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { createPrismaClient } from "@/lib/db/client";
import { taskList } from "@/lib/jobs/catalog";
import { log } from "@/lib/log";
import { createChannel, createChannelSchema, deleteChannel, listChannels } from "@/lib/notifications/channels";
import { markSlaBreaches } from "@/lib/notifications/sla";
import { registerRepository } from "@/lib/repositories/register-repository";
import { submitRun } from "@/lib/runs/submit-run";
import { createDemoRepository } from "@/scripts/lib/demo-repository";
import { evalDiff } from "../support/diffs";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { stageAgents } from "../support/stage-agents";

const system = { type: "system", id: "test", label: "test" } as const;
const quiet = log.child({ test: "notifications" });
const SECRET = "a-webhook-signing-secret-0123456789";


interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** An HTTP receiver that records every request and answers with the status its path is set to. */
async function startReceiver() {
  const requests: ReceivedRequest[] = [];
  const statusFor = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = req.url ?? "/";
      requests.push({ path: url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const status = statusFor.get(url) ?? 200;
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status < 300 ? "ok" : "receiver is down");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (p: string) => `http://127.0.0.1:${port}${p}`,
    requests,
    to: (p: string) => requests.filter((r) => r.path === p),
    answer: (p: string, status: number) => statusFor.set(p, status),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("escalation notifications", () => {
  let t: TestDatabase;
  let repoDir: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let pr = 1;

  /** Submits a risky change and runs the heuristic review on it, which escalates it. */
  async function escalated(title = `Evaluate report expressions ${pr}`) {
    const { run } = await submitRun(t.db, {
      actor: system,
      input: { repository: "demo", prNumber: pr++, title, author: "dev@example.com", baseSha: "a".repeat(40), headSha: `${pr}`.padStart(40, "e"), diff: evalDiff },
    });
    await runStageJob({ db: t.db, log: quiet, agents: stageAgents({ review: createReviewAgent(null) }) }, { runId: run.id, stage: "review", attempt: 1 });
    return t.db.escalation.findFirstOrThrow({ where: { runId: run.id } });
  }

  const notificationsFor = (subjectId: string, event?: string) =>
    t.db.notification.findMany({ where: { subjectId, ...(event ? { event } : {}) }, include: { channel: true }, orderBy: { channel: { name: "asc" } } });
  const deliveryJobs = () =>
    // The public jobs view hides payloads; the job key names the notification.
    t.sql<{ key: string; max_attempts: number }>(`SELECT key, max_attempts FROM graphile_worker.jobs WHERE task_identifier = 'notification.deliver' ORDER BY id`);

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    repoDir = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-notify-"));
    await createDemoRepository(repoDir);
    await registerRepository(t.db, { input: { name: "demo", path: repoDir }, actor: system });
    receiver = await startReceiver();
  });
  afterEach(async () => {
    // Each test configures its own channels; their notifications go with them (cascade).
    await t.db.notificationChannel.deleteMany();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.drop();
    fs.rmSync(repoDir, { recursive: true, force: true });
  });

  it("writes one notification and one delivery job per channel with the escalation, then delivers to Slack and a signed webhook", async () => {
    const slack = await createChannel(t.db, { input: { name: "a-slack", kind: "slack", url: receiver.url("/slack") }, actor: system });
    const hook = await createChannel(t.db, { input: { name: "b-hook", kind: "webhook", url: receiver.url("/hook"), secret: SECRET, events: ["escalation.created"] }, actor: system });

    const escalation = await escalated("Evaluate report expressions");
    const rows = await notificationsFor(escalation.id);
    expect(rows.map((r) => [r.channelId, r.event, r.status, r.attempts])).toEqual([
      [slack.id, "escalation.created", "pending", 0],
      [hook.id, "escalation.created", "pending", 0],
    ]);
    const jobs = (await deliveryJobs()).filter((j) => rows.some((r) => j.key === `notify:${r.id}`));
    expect(jobs.map((j) => j.key).sort()).toEqual(rows.map((r) => `notify:${r.id}`).sort());
    expect(jobs.every((j) => j.max_attempts === 5)).toBe(true);

    for (const row of rows) await deliverNotification(t.db, row.id, { attempt: 1, maxAttempts: 5 });

    const link = `/escalations/${escalation.id}`;
    const [slackRequest] = receiver.to("/slack");
    const slackBody = JSON.parse(slackRequest.body) as { text: string; blocks: unknown[] };
    expect(slackBody.text).toContain("Escalation: demo #");
    expect(slackBody.text).toContain("Evaluate report expressions");
    expect(slackBody.text).toContain("risk 8 ≥ 7");
    expect(slackBody.text).toContain(link);
    expect(slackBody.blocks.length).toBeGreaterThan(0);

    const [hookRequest] = receiver.to("/hook");
    expect(hookRequest.headers["x-flowgate-event"]).toBe("escalation.created");
    const expected = `sha256=${createHmac("sha256", SECRET).update(hookRequest.body).digest("hex")}`;
    const signature = String(hookRequest.headers["x-flowgate-signature"]);
    expect(signature.length).toBe(expected.length);
    expect(timingSafeEqual(Buffer.from(signature), Buffer.from(expected))).toBe(true);
    const hookBody = JSON.parse(hookRequest.body);
    expect(hookBody).toMatchObject({
      event: "escalation.created",
      sentAt: expect.any(String),
      data: { escalationId: escalation.id, repository: "demo", pullRequest: { title: "Evaluate report expressions", author: "dev@example.com" }, reasons: ["risk 8 ≥ 7"] },
    });
    expect(hookBody.data.link).toMatch(new RegExp(`${link}$`));

    const after = await notificationsFor(escalation.id);
    expect(after.map((r) => [r.status, r.attempts, r.lastStatus])).toEqual([
      ["delivered", 1, 200],
      ["delivered", 1, 200],
    ]);
    expect(after.every((r) => r.deliveredAt !== null)).toBe(true);

    // A job run again after a crash finds the row delivered and sends nothing.
    await deliverNotification(t.db, rows[0].id, { attempt: 2, maxAttempts: 5 });
    expect(receiver.to("/slack")).toHaveLength(1);
  });

  it("retries a failing receiver through the queue, then marks the notification failed with the error on the last attempt", async () => {
    receiver.answer("/down", 500);
    await createChannel(t.db, { input: { name: "down", kind: "webhook", url: receiver.url("/down") }, actor: system });
    const escalation = await escalated();
    const [row] = await notificationsFor(escalation.id);

    for (let attempt = 1; attempt <= 4; attempt++) {
      await expect(deliverNotification(t.db, row.id, { attempt, maxAttempts: 5 })).rejects.toThrow(/HTTP 500/);
      const current = await t.db.notification.findUniqueOrThrow({ where: { id: row.id } });
      expect(current).toMatchObject({ status: "pending", attempts: attempt, lastStatus: 500 });
    }
    await expect(deliverNotification(t.db, row.id, { attempt: 5, maxAttempts: 5 })).resolves.toBeUndefined();
    const failed = await t.db.notification.findUniqueOrThrow({ where: { id: row.id } });
    expect(failed).toMatchObject({ status: "failed", attempts: 5, lastStatus: 500, deliveredAt: null });
    expect(failed.lastError).toMatch(/^HTTP 500: receiver is down/);
    expect(failed.lastError).not.toContain(receiver.url("/down"));
    expect(receiver.to("/down")).toHaveLength(5);
  });

  it("records an unreachable receiver as an error without an HTTP status", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/gone`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await createChannel(t.db, { input: { name: "gone", kind: "slack", url: deadUrl }, actor: system });
    const escalation = await escalated();
    const [row] = await notificationsFor(escalation.id);
    await deliverNotification(t.db, row.id, { attempt: 1, maxAttempts: 1 });
    const failed = await t.db.notification.findUniqueOrThrow({ where: { id: row.id } });
    expect(failed).toMatchObject({ status: "failed", attempts: 1, lastStatus: null });
    expect(failed.lastError).toMatch(/ECONNREFUSED/);
  });

  it("marks a breached SLA exactly once, even with two monitors racing, and notifies every channel once", async () => {
    await createChannel(t.db, { input: { name: "a-slack", kind: "slack", url: receiver.url("/sla-slack") }, actor: system });
    await createChannel(t.db, { input: { name: "b-hook", kind: "webhook", url: receiver.url("/sla-hook"), events: ["escalation.sla_breached"] }, actor: system });
    const escalation = await escalated("Overdue change");
    await t.db.escalation.update({ where: { id: escalation.id }, data: { dueAt: new Date(Date.now() - 60_000) } });

    const other = createPrismaClient(t.url);
    const marked = await Promise.all([markSlaBreaches(t.db), markSlaBreaches(other)]);
    await other.$disconnect();
    expect(marked.sort()).toEqual([0, 1]);
    expect(await markSlaBreaches(t.db)).toBe(0);

    expect((await t.db.escalation.findUniqueOrThrow({ where: { id: escalation.id } })).slaBreachedAt).not.toBeNull();
    const events = await t.db.auditEvent.findMany({ where: { action: "escalation.sla_breached", subjectId: escalation.id } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorType: "system", actorId: "sla-monitor", runId: escalation.runId });

    const breaches = await notificationsFor(escalation.id, "escalation.sla_breached");
    expect(breaches.map((n) => n.channel.name)).toEqual(["a-slack", "b-hook"]);
    // The webhook channel subscribed to breaches only, so it did not hear about the escalation itself.
    expect((await notificationsFor(escalation.id, "escalation.created")).map((n) => n.channel.name)).toEqual(["a-slack"]);

    await deliverNotification(t.db, breaches[0].id, { attempt: 1, maxAttempts: 5 });
    const text = (JSON.parse(receiver.to("/sla-slack")[0].body) as { text: string }).text;
    expect(text).toMatch(/^SLA breached: demo #\d+ Overdue change — risk 8 ≥ 7 — due /);
    expect(text).toContain(`/escalations/${escalation.id}`);
  });

  it("leaves an escalation with no channels without notifications or jobs", async () => {
    const jobsBefore = (await deliveryJobs()).length;
    const escalation = await escalated();
    expect(await t.db.notification.count({ where: { subjectId: escalation.id } })).toBe(0);
    expect(await deliveryJobs()).toHaveLength(jobsBefore);
  });

  it("skips disabled channels", async () => {
    const channel = await createChannel(t.db, { input: { name: "off", kind: "slack", url: receiver.url("/off") }, actor: system });
    await t.db.notificationChannel.update({ where: { id: channel.id }, data: { enabled: false } });
    const escalation = await escalated();
    expect(await t.db.notification.count({ where: { subjectId: escalation.id } })).toBe(0);
  });

  it("never returns or audits a channel's secret", async () => {
    const hook = await createChannel(t.db, { input: { name: "signed", kind: "webhook", url: receiver.url("/hook/T123/secret-path"), secret: SECRET }, actor: system });
    await createChannel(t.db, { input: { name: "unsigned", kind: "webhook", url: receiver.url("/plain") }, actor: system });
    expect(JSON.stringify(hook)).not.toContain(SECRET);
    const channels = await listChannels(t.db);
    expect(channels.map((c) => [c.name, c.hasSecret])).toEqual([
      ["signed", true],
      ["unsigned", false],
    ]);
    for (const c of channels) expect(c).not.toHaveProperty("secret");
    expect(JSON.stringify(channels)).not.toContain(SECRET);

    await deleteChannel(t.db, { id: hook.id, actor: system });
    const audit = await t.db.auditEvent.findMany({ where: { subjectId: hook.id }, orderBy: { sequence: "asc" } });
    expect(audit.map((e) => e.action)).toEqual(["notification_channel.created", "notification_channel.deleted"]);
    const auditText = audit.map((e) => e.content).join("\n");
    expect(auditText).not.toContain(SECRET);
    expect(auditText).not.toContain("secret-path");
    await expect(deleteChannel(t.db, { id: hook.id, actor: system })).rejects.toMatchObject({ kind: "not_found" });
  });

  it("validates channels: http(s) URLs, secrets of 16+ characters on webhooks only, known events", () => {
    const valid = { name: "x", kind: "webhook", url: "https://example.com/hook" };
    expect(createChannelSchema.safeParse(valid).success).toBe(true);
    expect(createChannelSchema.safeParse({ ...valid, url: "ftp://example.com/hook" }).success).toBe(false);
    expect(createChannelSchema.safeParse({ ...valid, url: "not a url" }).success).toBe(false);
    expect(createChannelSchema.safeParse({ ...valid, secret: "short" }).success).toBe(false);
    expect(createChannelSchema.safeParse({ ...valid, kind: "slack", secret: SECRET }).success).toBe(false);
    expect(createChannelSchema.safeParse({ ...valid, events: ["run.created"] }).success).toBe(false);
  });

  it("delivers through the queue with the runner's task list, passing the queue's attempt numbers", async () => {
    await createChannel(t.db, { input: { name: "queued", kind: "slack", url: receiver.url("/queued") }, actor: system });
    const escalation = await escalated();
    const [row] = await notificationsFor(escalation.id);
    const attempts: { attempt: number; maxAttempts: number }[] = [];
    await runOnce({
      connectionString: t.url,
      logger: new Logger(() => () => {}),
      taskList: taskList({
        // Stage jobs left in the queue were already run directly above; they have nothing to do here.
        runStage: async () => {},
        deliverNotification: async (payload, attempt) => {
          attempts.push(attempt);
          await deliverNotification(t.db, payload.notificationId, attempt);
        },
      }),
    });
    expect(attempts).toContainEqual({ attempt: 1, maxAttempts: 5 });
    expect((await t.db.notification.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("delivered");
    expect(receiver.to("/queued")).toHaveLength(1);
  });
});
