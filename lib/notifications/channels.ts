import { z } from "zod";
import { appendAuditEvent, type AuditActor } from "../audit/chain/append-audit-event";
import { blankAsUnset } from "../blank-as-unset";
import type { Db } from "../db/client";
import { DomainError } from "../errors";
import type { Json } from "../json";
import { notificationEvents } from "./events";


export const createChannelSchema = z
  .object({
    name: z.string().trim().min(1, "name is required").max(100),
    kind: z.enum(["slack", "webhook"]),
    url: z
      .string()
      .trim()
      .refine((value) => isHttpUrl(value), "must be an http:// or https:// URL"),
    secret: blankAsUnset(z.string().min(16, "must be at least 16 characters").max(512).optional()),
    // Empty means every event, now and any added later.
    events: z.array(z.enum(notificationEvents)).default([]),
  })
  .refine((input) => input.kind === "webhook" || input.secret === undefined, {
    path: ["secret"],
    message: "only generic webhooks are signed; Slack incoming webhooks take no secret",
  });
export type CreateChannelInput = z.input<typeof createChannelSchema>;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** What a channel looks like outside the database: the secret is write-only. */
export interface ChannelView {
  id: string;
  name: string;
  kind: "slack" | "webhook";
  url: string;
  events: string[];
  enabled: boolean;
  hasSecret: boolean;
  createdAt: Date;
}

function toView(channel: { id: string; name: string; kind: "slack" | "webhook"; url: string; secret: string | null; events: string[]; enabled: boolean; createdAt: Date }): ChannelView {
  const { secret, ...rest } = channel;
  return { ...rest, hasSecret: secret !== null };
}

export async function listChannels(db: Db): Promise<ChannelView[]> {
  const channels = await db.notificationChannel.findMany({ orderBy: { name: "asc" } });
  return channels.map(toView);
}

/** Adds a channel. The audit event records where notifications go, never the signing secret. */
export async function createChannel(db: Db, options: { input: CreateChannelInput; actor: AuditActor }): Promise<ChannelView> {
  const input = createChannelSchema.parse(options.input);
  return db.$transaction(async (tx) => {
    if (await tx.notificationChannel.findUnique({ where: { name: input.name } })) {
      throw new DomainError("conflict", `A notification channel named ${input.name} already exists`);
    }
    const channel = await tx.notificationChannel.create({
      data: { name: input.name, kind: input.kind, url: input.url, secret: input.secret ?? null, events: input.events },
    });
    await appendAuditEvent(tx, {
      actor: options.actor,
      action: "notification_channel.created",
      subject: { type: "notification_channel", id: channel.id },
      payload: { name: channel.name, kind: channel.kind, url: redactedUrl(channel.url), events: channel.events, signed: channel.secret !== null },
    });
    return toView(channel);
  });
}

/** Removes a channel; its delivery history goes with it (the audit event remains). */
export async function deleteChannel(db: Db, options: { id: string; actor: AuditActor }): Promise<ChannelView> {
  return db.$transaction(async (tx) => {
    const channel = await tx.notificationChannel.findUnique({ where: { id: options.id } });
    if (!channel) throw new DomainError("not_found", "No such notification channel");
    await tx.notificationChannel.delete({ where: { id: channel.id } });
    await appendAuditEvent(tx, {
      actor: options.actor,
      action: "notification_channel.deleted",
      subject: { type: "notification_channel", id: channel.id },
      payload: { name: channel.name, kind: channel.kind, url: redactedUrl(channel.url) },
    });
    return toView(channel);
  });
}

/**
 * Incoming-webhook URLs carry their credential in the path (Slack's /services/T…/B…/xyz) or the
 * query, and the audit log is append-only, so it keeps only the origin.
 */
function redactedUrl(value: string): string {
  const url = new URL(value);
  return url.pathname === "/" && !url.search ? url.origin : `${url.origin}/…`;
}

/** The most recent deliveries with their outcome, for the settings page. */
export async function listRecentNotifications(db: Db, limit = 50) {
  const rows = await db.notification.findMany({
    orderBy: { createdAt: "desc" },
    take: limit,
    select: {
      id: true,
      event: true,
      subjectId: true,
      status: true,
      attempts: true,
      lastStatus: true,
      lastError: true,
      createdAt: true,
      deliveredAt: true,
      channel: { select: { name: true, kind: true } },
    },
  });
  return rows.map(({ channel, ...row }) => ({ ...row, channelName: channel.name, channelKind: channel.kind }));
}

/** A channel and a delivery as GET /api/v1/notification-channels and GET /api/v1/notifications send them. */
export type ChannelRow = Json<ChannelView>;
export type DeliveryRow = Json<Awaited<ReturnType<typeof listRecentNotifications>>[number]>;
