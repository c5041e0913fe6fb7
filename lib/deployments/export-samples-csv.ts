import type { Db } from "../db/client";

export const SAMPLES_CSV_HEADER = "cohort,at,error_rate_percent,p99_ms,requests";

/** Rows read per query: the export of a long canary never holds all its samples in memory. */
const PAGE_SIZE = 5_000;

/**
 * A deployment's raw samples as CSV, by cohort then time, streamed page by page. Numbers are
 * written in full precision (JavaScript's shortest round-trip form), exactly as stored.
 */
export function samplesCsvStream(db: Db, deploymentId: string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor: bigint | null = null;
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const rows = await db.metricSample.findMany({
        where: { deploymentId },
        orderBy: [{ cohort: "asc" }, { at: "asc" }, { id: "asc" }],
        take: PAGE_SIZE,
        ...(cursor !== null ? { cursor: { id: cursor }, skip: 1 } : {}),
        select: { id: true, cohort: true, at: true, errorRate: true, p99Ms: true, requests: true },
      });
      let text = headerSent ? "" : `${SAMPLES_CSV_HEADER}\n`;
      headerSent = true;
      for (const row of rows) text += `${row.cohort},${row.at.toISOString()},${row.errorRate},${row.p99Ms},${row.requests}\n`;
      if (text) controller.enqueue(encoder.encode(text));
      if (rows.length < PAGE_SIZE) controller.close();
      else cursor = rows[rows.length - 1].id;
    },
  });
}
