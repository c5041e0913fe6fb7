/**
 * The chain status shown on the audit page and every change record: verified incrementally from
 * the newest checkpoint (ADR 009), so a view costs the events appended since the last one, not the
 * whole log. What an incremental run cannot see (an edit before the checkpoint) a full run finds;
 * its result stands until a later full run says otherwise.
 */
import type { Db } from "../../db/client";
import { describeBreak, type ChainBreak } from "../chain/chain";
import { checkpointView, latestCheckpoint, recordCheckpoint, type CheckpointView } from "../chain/checkpoints";
import { latestFullVerification, type FullVerificationView } from "./run-full-verification";
import { verifyAuditChain, type ChainStatus } from "./verify-audit-chain";

export interface ChainStatusReport extends Omit<ChainStatus, "broken"> {
  mode: "incremental";
  /** The checkpoint this verification started from (null: none yet, so it started at the genesis). */
  startedFrom: CheckpointView | null;
  /** The checkpoint recorded by this verification, when it got further than the last one. */
  recorded: CheckpointView | null;
  broken: { sequence: string; kind: ChainBreak["kind"]; description: string; foundBy: "incremental" | "full"; foundAt: string } | null;
  /** The newest full verification (running or finished), if anyone asked for one. */
  lastFull: FullVerificationView | null;
  checkedAt: string;
}

/**
 * Starts at the newest checkpoint: checks that its event still carries the hash it had (which
 * catches a chain rewritten up to that point, or cut back before it), then hashes only the newer
 * events, linking the first to the checkpoint's hash, and records a new checkpoint at the end.
 */
export async function verifyFromCheckpoint(db: Db, options: { databaseUrl?: string } = {}): Promise<ChainStatusReport> {
  const checkedAt = new Date().toISOString();
  const [checkpoint, lastFull] = await Promise.all([latestCheckpoint(db), latestFullVerification(db)]);
  const startedFrom = checkpoint ? checkpointView(checkpoint) : null;
  const report = (status: ChainStatus, recorded: CheckpointView | null): ChainStatusReport => {
    const base = { ...status, mode: "incremental" as const, startedFrom, recorded, lastFull, checkedAt };
    if (status.broken) {
      const { sequence, kind, description } = status.broken;
      return { ...base, broken: { sequence: sequence.toString(), kind, description, foundBy: "incremental", foundAt: checkedAt } };
    }
    // The newer events are fine, but a full run found the chain broken earlier on: that stands.
    if (lastFull?.status === "broken" && lastFull.broken) {
      return {
        ...base,
        ok: false,
        verifiedThrough: lastFull.verifiedThrough,
        verifiedThroughHash: null,
        verifiedAt: null,
        broken: { ...lastFull.broken, foundBy: "full", foundAt: lastFull.finishedAt ?? checkedAt },
      };
    }
    return { ...base, broken: null };
  };

  if (checkpoint) {
    const event = await db.auditEvent.findUnique({ where: { sequence: checkpoint.sequence }, select: { hash: true, occurredAt: true } });
    if (event?.hash !== checkpoint.hash) {
      const problem: ChainBreak = {
        kind: "rewritten",
        sequence: checkpoint.sequence,
        expectedHash: checkpoint.hash,
        storedHash: event?.hash ?? null,
        vouchedBy: `the ${checkpoint.mode} verification of ${checkpoint.verifiedAt.toISOString()}`,
      };
      const status: ChainStatus = { ok: false, verifiedThrough: null, verifiedThroughHash: null, verifiedAt: null, eventsChecked: 0, broken: { ...problem, description: describeBreak(problem) } };
      return report(status, null);
    }
    const after = { sequence: checkpoint.sequence, hash: checkpoint.hash, occurredAt: event.occurredAt.toISOString() };
    const status = await verifyAuditChain(db, { after, databaseUrl: await readerFor(db, checkpoint.sequence, options.databaseUrl) });
    return report(status, await recordIfFurther(db, status, checkpoint.sequence));
  }
  const status = await verifyAuditChain(db, { databaseUrl: await readerFor(db, 0n, options.databaseUrl) });
  return report(status, await recordIfFurther(db, status, 0n));
}

/** Below this many new events, Prisma pages beat opening a COPY connection (its login alone costs milliseconds). */
const COPY_WORTH_IT = 5000n;

async function readerFor(db: Db, from: bigint, databaseUrl: string | undefined): Promise<string | undefined> {
  if (!databaseUrl) return undefined;
  const head = await db.auditEvent.findFirst({ orderBy: { sequence: "desc" }, select: { sequence: true } });
  return head && head.sequence - from > COPY_WORTH_IT ? databaseUrl : undefined;
}

async function recordIfFurther(db: Db, status: ChainStatus, from: bigint): Promise<CheckpointView | null> {
  if (!status.ok || status.verifiedThrough === null || status.verifiedThroughHash === null) return null;
  const sequence = BigInt(status.verifiedThrough);
  if (sequence <= from) return null;
  const row = await recordCheckpoint(db, { sequence, hash: status.verifiedThroughHash, mode: "incremental", eventsChecked: status.eventsChecked });
  return row ? checkpointView(row) : null;
}
