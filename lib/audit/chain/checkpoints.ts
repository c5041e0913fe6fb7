import type { Db } from "../../db/client";

/** A point up to which the chain was verified (the AuditCheckpoint table, ADR 009). */
export interface CheckpointView {
  sequence: string;
  hash: string;
  mode: "full" | "incremental";
  verifiedAt: string;
  eventsChecked: number;
}

export function checkpointView(row: { sequence: bigint; hash: string; mode: "full" | "incremental"; verifiedAt: Date; eventsChecked: number }): CheckpointView {
  return { sequence: row.sequence.toString(), hash: row.hash, mode: row.mode, verifiedAt: row.verifiedAt.toISOString(), eventsChecked: row.eventsChecked };
}

export async function latestCheckpoint(db: Db) {
  return db.auditCheckpoint.findFirst({ orderBy: { sequence: "desc" } });
}

/** Records that the chain verified through `sequence`; a second verification reaching the same event records nothing. */
export async function recordCheckpoint(db: Db, checkpoint: { sequence: bigint; hash: string; mode: "full" | "incremental"; eventsChecked: number }) {
  await db.auditCheckpoint.createMany({ data: [checkpoint], skipDuplicates: true });
  return db.auditCheckpoint.findUnique({ where: { sequence: checkpoint.sequence } });
}
