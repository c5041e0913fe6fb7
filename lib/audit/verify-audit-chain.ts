import type { Db } from "../db/client";
import { checkLink, describeBreak, type ChainBreak, type StoredEvent } from "./chain";

export interface ChainStatus {
  ok: boolean;
  verifiedThrough: string | null;
  verifiedAt: string | null;
  eventsChecked: number;
  broken: (ChainBreak & { description: string }) | null;
}

/**
 * Walks the chain in sequence order with keyset pages (constant memory), recomputing every hash.
 * Reports the first event where the chain breaks.
 */
export async function verifyAuditChain(
  db: Db,
  options: { batchSize?: number; onProgress?: (checked: number) => void } = {},
): Promise<ChainStatus> {
  const batchSize = options.batchSize ?? 5000;
  let previous: StoredEvent | null = null;
  let checked = 0;
  for (;;) {
    const batch: StoredEvent[] = await db.auditEvent.findMany({
      where: previous ? { sequence: { gt: previous.sequence } } : {},
      orderBy: { sequence: "asc" },
      take: batchSize,
    });
    for (const event of batch) {
      const problem = checkLink(previous, event);
      if (problem) {
        return {
          ok: false,
          verifiedThrough: previous?.sequence.toString() ?? null,
          verifiedAt: previous?.occurredAt.toISOString() ?? null,
          eventsChecked: checked,
          broken: { ...problem, sequence: problem.sequence, description: describeBreak(problem) },
        };
      }
      previous = event;
      checked += 1;
    }
    options.onProgress?.(checked);
    if (batch.length < batchSize) break;
  }
  return {
    ok: true,
    verifiedThrough: previous?.sequence.toString() ?? null,
    verifiedAt: previous?.occurredAt.toISOString() ?? null,
    eventsChecked: checked,
    broken: null,
  };
}
