import type { Db } from "../db/client";
import { checkRecordLink, describeBreak, type ChainBreak } from "./chain";
import { copyHashedRecords, keysetHashedRecords } from "./read-hashed-records";

export interface ChainStatus {
  ok: boolean;
  /** The last event known good: the last one checked, or the starting point when nothing was newer. */
  verifiedThrough: string | null;
  verifiedThroughHash: string | null;
  /** When that event occurred. */
  verifiedAt: string | null;
  eventsChecked: number;
  broken: (ChainBreak & { description: string }) | null;
}

/** Where a verification starts: an event already known good (a checkpoint), or the genesis. */
export interface VerifiedPoint {
  sequence: bigint;
  hash: string;
  occurredAt: string | null;
}

export interface VerifyOptions {
  /** Start after this event and link the first one checked to its hash; from the genesis when unset. */
  after?: VerifiedPoint | null;
  /** Stop after this sequence (a full run verifies up to the head it saw when it started). */
  through?: bigint;
  /**
   * Read with COPY on a connection of its own (fast, for long stretches); without it, keyset pages
   * through Prisma.
   */
  databaseUrl?: string;
  batchSize?: number;
  /** Called after each batch with the events checked so far and the last sequence checked. */
  onProgress?: (checked: number, through: bigint) => void | Promise<void>;
}

/**
 * Walks the chain in sequence order (constant memory), recomputing every hash, and reports the
 * first event where it breaks: a gap (deleted), a wrong link (reordered or replaced) or a wrong
 * hash (edited).
 */
export async function verifyAuditChain(db: Db, options: VerifyOptions = {}): Promise<ChainStatus> {
  const start = options.after ?? null;
  const stretch = { afterSequence: start?.sequence ?? 0n, throughSequence: options.through };
  const batches = options.databaseUrl ? copyHashedRecords(options.databaseUrl, stretch) : keysetHashedRecords(db, stretch, options.batchSize);
  let previous: { sequence: bigint; hash: string } | null = start;
  let checked = 0;
  const status = async (broken: ChainStatus["broken"]): Promise<ChainStatus> => ({
    ok: broken === null,
    verifiedThrough: previous?.sequence.toString() ?? null,
    verifiedThroughHash: previous?.hash ?? null,
    // Read once at the end: the records carry only what the hash covers, unparsed.
    verifiedAt: checked > 0 && previous ? await occurredAt(db, previous.sequence) : (start?.occurredAt ?? null),
    eventsChecked: checked,
    broken,
  });
  for await (const records of batches) {
    for (const record of records) {
      const problem = checkRecordLink(previous, record);
      // Leaving the loop closes the reader (for COPY, its connection).
      if (problem) return status({ ...problem, description: describeBreak(problem) });
      previous = record;
      checked += 1;
    }
    if (previous) await options.onProgress?.(checked, previous.sequence);
  }
  return status(null);
}

async function occurredAt(db: Db, sequence: bigint): Promise<string | null> {
  const [row] = await db.$queryRaw<{ occurredAt: string }[]>`
    SELECT to_char("occurredAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt" FROM "AuditEvent" WHERE sequence = ${sequence}`;
  return row?.occurredAt ?? null;
}
