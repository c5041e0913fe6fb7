import { z } from "zod";
import { payloadOf } from "../audit/chain/event-payload";
import { roleCan, type Role } from "../auth/roles";
import type { Db } from "../db/client";

/**
 * Who had access to Flowgate, answered from the audit log alone (SOC 2 CC6.1–CC6.3): the roles each
 * person held at a moment (replaying user.created, user.role_changed, user.disabled and
 * user.enabled up to it), and the access events of a period (sign-ins and their failures,
 * sign-outs, token and user changes). Because it is read from the hash-chained log, the answer
 * carries the same proof as every other piece of evidence.
 */
export const accessQuerySchema = z.object({
  at: z.iso.datetime({ offset: true }).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  format: z.enum(["json", "csv"]).default("json"),
  what: z.enum(["holders", "events"]).default("holders"),
});

const ROLE_EVENTS = ["user.created", "user.role_changed", "user.disabled", "user.enabled"];
export const ACCESS_EVENT_PREFIXES = ["sign_in.", "sign_out", "user.", "api_token."];

export interface RoleHolder {
  userId: string;
  email: string;
  role: Role;
  disabled: boolean;
  /** When the user got this role (created or changed to it). */
  since: string;
  /** Whether the role could approve escalations, i.e. send a change on toward production. */
  canApprove: boolean;
}

export interface AccessEvent {
  sequence: string;
  occurredAt: string;
  action: string;
  actor: string;
  email: string | null;
  address: string | null;
  detail: string;
}

/** Every user and the role they held at `at`, as the audit log tells it. */
export async function roleHoldersAt(db: Db, at: Date): Promise<RoleHolder[]> {
  const events = await db.auditEvent.findMany({
    where: { action: { in: ROLE_EVENTS }, occurredAt: { lte: at } },
    orderBy: { sequence: "asc" },
    select: { action: true, subjectId: true, occurredAt: true, content: true },
  });
  const holders = new Map<string, RoleHolder>();
  for (const event of events) {
    const payload = payloadOf(event.content) as { email?: string; role?: Role; to?: Role };
    const current = holders.get(event.subjectId);
    const when = event.occurredAt.toISOString();
    if (event.action === "user.created" && payload.role) {
      holders.set(event.subjectId, { userId: event.subjectId, email: payload.email ?? "", role: payload.role, disabled: false, since: when, canApprove: roleCan(payload.role, "escalations:decide") });
    } else if (current && event.action === "user.role_changed" && payload.to) {
      holders.set(event.subjectId, { ...current, role: payload.to, since: when, canApprove: roleCan(payload.to, "escalations:decide") });
    } else if (current && event.action === "user.disabled") {
      holders.set(event.subjectId, { ...current, disabled: true });
    } else if (current && event.action === "user.enabled") {
      holders.set(event.subjectId, { ...current, disabled: false });
    }
  }
  return [...holders.values()].sort((a, b) => a.email.localeCompare(b.email));
}

/** The access events of a period, newest first (at most `limit`). */
export async function accessEvents(db: Db, options: { from: Date; to: Date; limit: number }): Promise<AccessEvent[]> {
  const events = await db.auditEvent.findMany({
    where: { occurredAt: { gte: options.from, lte: options.to }, OR: ACCESS_EVENT_PREFIXES.map((prefix) => ({ action: { startsWith: prefix } })) },
    orderBy: { sequence: "desc" },
    take: options.limit,
    select: { sequence: true, occurredAt: true, action: true, actorLabel: true, content: true },
  });
  return events.map((event) => {
    const payload = (payloadOf(event.content) ?? {}) as Record<string, unknown>;
    const { email, address, ...rest } = payload;
    return {
      sequence: event.sequence.toString(),
      occurredAt: event.occurredAt.toISOString(),
      action: event.action,
      actor: event.actorLabel,
      email: typeof email === "string" ? email : null,
      address: typeof address === "string" ? address : null,
      detail: Object.entries(rest)
        .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
        .join(" "),
    };
  });
}

const csvCell = (value: unknown) => {
  const text = value === null || value === undefined ? "" : String(value);
  // A leading =, +, - or @ would run as a formula in a spreadsheet (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

export function toCsv<T extends object>(rows: T[], columns: (keyof T)[]): string {
  return [columns.join(","), ...rows.map((row) => columns.map((column) => csvCell(row[column])).join(","))].join("\n") + "\n";
}
