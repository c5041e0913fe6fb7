import { z } from "zod";
import type { Prisma } from "../db/client";
import { escalationLink } from "../app-links";
import type { NotificationEvent } from "./events";

export const NOTIFICATION_JOB = "notification.deliver";
export const notificationJobPayloadSchema = z.object({ notificationId: z.string().min(1) });
export type NotificationJobPayload = z.infer<typeof notificationJobPayloadSchema>;

// With the queue's exponential backoff, five attempts span a few minutes: enough to ride out a
// receiver's restart, short enough that a broken channel shows up as failed the same hour.
export const NOTIFICATION_MAX_ATTEMPTS = 5;

/** What every escalation notification carries; the webhook sends it as `data`, Slack renders it. */
// A type alias, not an interface, so it is assignable to the outbox's Record<string, unknown>.
export type EscalationNotificationPayload = {
  escalationId: string;
  link: string;
  repository: string;
  pullRequest: { number: number; title: string; author: string };
  stage: string;
  reasons: string[];
  dueAt: string;
  breachedAt?: string;
};

/** What a rollback notification carries: the incident report's headline and where to read it. */
export type RollbackNotificationPayload = {
  deploymentId: string;
  link: string;
  repository: string;
  pullRequest: { number: number; title: string; author: string };
  reason: string;
  incident: { title: string; hypothesis: string };
};

export function escalationNotificationPayload(input: {
  escalation: { id: string; stage: string; reasonLabels: string[]; dueAt: Date; slaBreachedAt?: Date | null };
  repository: string;
  pullRequest: { number: number; title: string; author: string };
}): EscalationNotificationPayload {
  const { escalation } = input;
  return {
    escalationId: escalation.id,
    link: escalationLink(escalation.id),
    repository: input.repository,
    pullRequest: { number: input.pullRequest.number, title: input.pullRequest.title, author: input.pullRequest.author },
    stage: escalation.stage,
    reasons: escalation.reasonLabels,
    dueAt: escalation.dueAt.toISOString(),
    ...(escalation.slaBreachedAt ? { breachedAt: escalation.slaBreachedAt.toISOString() } : {}),
  };
}

/**
 * Writes one outbox row per subscribed channel and its delivery job, inside the caller's
 * transaction: a notification exists exactly when the change it reports committed. A repeated
 * call for the same event and subject adds nothing (the unique row), so a retried transaction
 * never notifies twice. Returns how many notifications were created.
 */
export async function enqueueNotifications(
  tx: Prisma.TransactionClient,
  input: { event: NotificationEvent; subjectId: string; payload: Record<string, unknown> },
): Promise<number> {
  const channels = await subscribedChannels(tx, input.event);
  if (channels.length === 0) return 0;
  const created = await tx.notification.createManyAndReturn({
    data: channels.map((channel) => ({
      channelId: channel.id,
      event: input.event,
      subjectId: input.subjectId,
      payload: input.payload as Prisma.InputJsonValue,
    })),
    // ON CONFLICT DO NOTHING: a duplicate must not abort the caller's transaction.
    skipDuplicates: true,
    select: { id: true },
  });
  for (const notification of created) await enqueueDeliveryJob(tx, { notificationId: notification.id });
  return created.length;
}

/** Enabled channels that take this event; a channel with no events listed takes them all. */
async function subscribedChannels(tx: Prisma.TransactionClient, event: NotificationEvent) {
  return tx.notificationChannel.findMany({
    where: { enabled: true, OR: [{ events: { isEmpty: true } }, { events: { has: event } }] },
    select: { id: true },
  });
}

async function enqueueDeliveryJob(tx: Prisma.TransactionClient, payload: NotificationJobPayload) {
  const job = notificationJobPayloadSchema.parse(payload);
  const key = `notify:${job.notificationId}`;
  await tx.$executeRaw`SELECT graphile_worker.add_job(
    ${NOTIFICATION_JOB}, ${JSON.stringify(job)}::json,
    max_attempts => ${NOTIFICATION_MAX_ATTEMPTS}::int, job_key => ${key})`;
}
