import type { Db } from "../db/client";
import { checkRowLink, describeBreak, type ChainBreak, type ChainRow } from "./chain";
import { copyChainRows, prismaChainRows } from "./read-chain-rows";

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
  const batches = options.databaseUrl ? copyChainRows(options.databaseUrl, stretch) : prismaChainRows(db, stretch, options.batchSize);
  let previous: { sequence: bigint; hash: string } | null = start;
  let last: ChainRow | null = null;
  let checked = 0;
  const status = (broken: ChainStatus["broken"]): ChainStatus => ({
    ok: broken === null,
    verifiedThrough: previous?.sequence.toString() ?? null,
    verifiedThroughHash: previous?.hash ?? null,
    verifiedAt: last?.occurredAt ?? start?.occurredAt ?? null,
    eventsChecked: checked,
    broken,
  });
  for await (const rows of batches) {
    for (const row of rows) {
      const problem = checkRowLink(previous, row);
      // Leaving the loop closes the reader (for COPY, its connection).
      if (problem) return status({ ...problem, description: describeBreak(problem) });
      previous = { sequence: BigInt(row.sequence), hash: row.hash };
      last = row;
      checked += 1;
    }
    if (previous) await options.onProgress?.(checked, previous.sequence);
  }
  return status(null);
}
