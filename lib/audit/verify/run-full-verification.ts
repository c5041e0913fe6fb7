/**
 * Full verification on demand: every event from the genesis to the head, hashed again. It runs in
 * the background of the process that was asked (a few seconds per million events), writes its
 * progress to an AuditVerification row that the audit page polls, and on success records a
 * checkpoint the incremental verifier then starts from.
 */
import type { Db } from "../../db/client";
import type { AuditVerification } from "../../db/generated/client";
import type { AuditActor } from "../chain/append-audit-event";
import type { ChainBreak } from "../chain/chain";
import { recordCheckpoint } from "../chain/checkpoints";
import { verifyAuditChain } from "./verify-audit-chain";

/** A running row whose progress has not moved for this long belongs to a process that died. */
export const ABANDONED_AFTER_MS = 60_000;
/** Progress is written at most this often, so a fast run is not slowed by its own bookkeeping. */
const PROGRESS_EVERY_MS = 500;
// Any constant: names the lock that makes two simultaneous requests start one run, not two.
const START_LOCK = 7_310_447_009;

export interface FullVerificationView {
  id: string;
  status: "running" | "verified" | "broken" | "failed";
  requestedBy: string;
  startedAt: string;
  finishedAt: string | null;
  targetSequence: string;
  checkedThrough: string;
  eventsChecked: number;
  /** 0 to 1: events checked of the events to check. */
  progress: number;
  /** The last event verified good: the target when verified, the one before the break when broken. */
  verifiedThrough: string | null;
  broken: { sequence: string; kind: ChainBreak["kind"]; description: string } | null;
  error: string | null;
}

export function fullVerificationView(row: AuditVerification): FullVerificationView {
  const target = Number(row.targetSequence);
  const broken = row.broken as FullVerificationView["broken"];
  return {
    id: row.id,
    status: row.status,
    requestedBy: row.requestedBy,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    targetSequence: row.targetSequence.toString(),
    checkedThrough: row.checkedThrough.toString(),
    eventsChecked: row.eventsChecked,
    progress: row.status === "verified" || target === 0 ? 1 : Math.min(1, Number(row.checkedThrough) / target),
    verifiedThrough: row.status === "running" || row.status === "failed" ? null : row.checkedThrough > 0n ? row.checkedThrough.toString() : null,
    broken,
    error: row.error,
  };
}

/** Marks running rows that stopped moving as failed, so they neither block a new run nor show as running forever. */
async function closeAbandoned(db: Db) {
  const cutoff = new Date(Date.now() - ABANDONED_AFTER_MS);
  await db.auditVerification.updateMany({
    where: { status: "running", progressAt: { lt: cutoff } },
    data: { status: "failed", finishedAt: new Date(), error: `abandoned: no progress for ${ABANDONED_AFTER_MS / 1000} s (the process running it stopped)` },
  });
}

export async function latestFullVerification(db: Db): Promise<FullVerificationView | null> {
  await closeAbandoned(db);
  const row = await db.auditVerification.findFirst({ orderBy: { startedAt: "desc" } });
  return row ? fullVerificationView(row) : null;
}

export async function getFullVerification(db: Db, id: string): Promise<FullVerificationView | null> {
  await closeAbandoned(db);
  const row = await db.auditVerification.findUnique({ where: { id } });
  return row ? fullVerificationView(row) : null;
}

/**
 * Verifies events 1..targetSequence of the row and records the outcome on it. Never throws: a
 * failure (the database went away) is recorded as status `failed` with its message.
 */
export async function runFullVerification(
  db: Db,
  verificationId: string,
  options: { databaseUrl?: string; batchSize?: number; progressEveryMs?: number; onProgress?: (written: FullVerificationView) => void | Promise<void> } = {},
): Promise<FullVerificationView> {
  const row = await db.auditVerification.findUniqueOrThrow({ where: { id: verificationId } });
  const progressEveryMs = options.progressEveryMs ?? PROGRESS_EVERY_MS;
  let lastWrite = 0;
  try {
    const status = await verifyAuditChain(db, {
      through: row.targetSequence,
      databaseUrl: options.databaseUrl,
      batchSize: options.batchSize,
      onProgress: async (checked, through) => {
        if (Date.now() - lastWrite < progressEveryMs) return;
        lastWrite = Date.now();
        const written = await db.auditVerification.update({ where: { id: verificationId }, data: { checkedThrough: through, eventsChecked: checked, progressAt: new Date() } });
        await options.onProgress?.(fullVerificationView(written));
      },
    });
    const broken = status.broken
      ? { sequence: status.broken.sequence.toString(), kind: status.broken.kind, description: status.broken.description }
      : null;
    const finished = await db.auditVerification.update({
      where: { id: verificationId },
      data: {
        status: status.ok ? "verified" : "broken",
        checkedThrough: status.verifiedThrough ? BigInt(status.verifiedThrough) : 0n,
        eventsChecked: status.eventsChecked,
        broken: broken ?? undefined,
        progressAt: new Date(),
        finishedAt: new Date(),
      },
    });
    if (status.ok && status.verifiedThrough && status.verifiedThroughHash) {
      await recordCheckpoint(db, { sequence: BigInt(status.verifiedThrough), hash: status.verifiedThroughHash, mode: "full", eventsChecked: status.eventsChecked });
    }
    return fullVerificationView(finished);
  } catch (error) {
    const failed = await db.auditVerification.update({
      where: { id: verificationId },
      data: { status: "failed", error: (error as Error).message.slice(0, 1000), finishedAt: new Date() },
    });
    return fullVerificationView(failed);
  }
}

/**
 * Starts a full verification of the chain as it is now, or returns the one already running (two
 * auditors pressing the button get the same run). `finished` settles when this call's run ends;
 * it is null when an earlier run was already going.
 */
export async function startFullVerification(
  db: Db,
  options: { requestedBy: AuditActor; databaseUrl?: string; onError?: (error: unknown) => void },
): Promise<{ verification: FullVerificationView; finished: Promise<FullVerificationView> | null }> {
  await closeAbandoned(db);
  const { row, created } = await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${START_LOCK}::bigint)`;
    const running = await tx.auditVerification.findFirst({ where: { status: "running" }, orderBy: { startedAt: "desc" } });
    if (running) return { row: running, created: false };
    const head = await tx.auditEvent.findFirst({ orderBy: { sequence: "desc" }, select: { sequence: true } });
    const row = await tx.auditVerification.create({
      data: { requestedById: options.requestedBy.id, requestedBy: options.requestedBy.label, targetSequence: head?.sequence ?? 0n },
    });
    return { row, created: true };
  });
  if (!created) return { verification: fullVerificationView(row), finished: null };
  const finished = runFullVerification(db, row.id, { databaseUrl: options.databaseUrl });
  finished.catch((error) => options.onError?.(error));
  return { verification: fullVerificationView(row), finished };
}
