import type { Db } from "../../db/client";
import { ChainWalker, describeBreak, type ChainBreak } from "../chain/chain";
import { walkCopy, walkKeysetPages } from "./walk-stored-chain";

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
  const walker = new ChainWalker(start);
  const batches = options.databaseUrl ? walkCopy(options.databaseUrl, stretch, walker) : walkKeysetPages(db, stretch, walker, options.batchSize);
  for await (const walked of batches) {
    void walked;
    // Leaving the loop closes the reader (for COPY, its connection).
    if (walker.broken) break;
    const through = walker.verifiedThrough;
    if (through) await options.onProgress?.(walker.checked, through.sequence);
  }
  const through = walker.verifiedThrough;
  return {
    ok: walker.broken === null,
    verifiedThrough: through?.sequence.toString() ?? null,
    verifiedThroughHash: through?.hash ?? null,
    // Read once at the end: the walker sees only what the hash covers, unparsed.
    verifiedAt: walker.checked > 0 && through ? await occurredAt(db, through.sequence) : (start?.occurredAt ?? null),
    eventsChecked: walker.checked,
    broken: walker.broken ? { ...walker.broken, description: describeBreak(walker.broken) } : null,
  };
}

async function occurredAt(db: Db, sequence: bigint): Promise<string | null> {
  const [row] = await db.$queryRaw<{ occurredAt: string }[]>`
    SELECT to_char("occurredAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt" FROM "AuditEvent" WHERE sequence = ${sequence}`;
  return row?.occurredAt ?? null;
}
