import type { AuditEvent } from "../../db/generated/client";

/**
 * An audit event with its payload, as the API, the change record and the chain checks use it.
 * The table keeps no payload column (migration 20261204000000_audit_payload_from_content): the
 * payload is read from the stored content, the bytes the event's hash covers.
 */
export type AuditEventWithPayload = AuditEvent & { payload: unknown };

/**
 * The payload in an event's stored content. Parsed whole: canonical content and the jsonb text
 * of events stored before content was canonical (ADR 003) read the same way.
 */
export function payloadOf(content: string): unknown {
  return (JSON.parse(content) as { payload: unknown }).payload;
}

/** An event as Prisma reads it, with its payload from its content. */
export function withPayload(event: AuditEvent): AuditEventWithPayload {
  return { ...event, payload: payloadOf(event.content) };
}
