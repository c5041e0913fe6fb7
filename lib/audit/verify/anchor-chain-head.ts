/**
 * Anchoring: the chain's verified head (sequence and hash) written out of the database's reach,
 * to a file (JSON Lines, appended) and/or a webhook, every few minutes by the runner and on demand
 * by `npm run ctl -- audit anchor`. Someone who can rewrite the audit table can also recompute
 * every hash and the checkpoints; they cannot change what already left for the sink. Checking
 * the chain against the anchors (`verifyAnchors`) then shows such a rewrite.
 */
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Db } from "../../db/client";
import type { Logger } from "../../log";
import { verifyFromCheckpoint } from "./verify-from-checkpoint";

export interface AnchorSinks {
  /** Append-only JSON Lines file. */
  file?: string;
  /** Receives each anchor as a JSON POST. */
  webhook?: string;
}

export const chainAnchorSchema = z.object({
  version: z.literal(1),
  sequence: z.string().regex(/^\d{1,19}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  occurredAt: z.string().nullable(),
  anchoredAt: z.string(),
});
export type ChainAnchor = z.infer<typeof chainAnchorSchema>;

export type AnchorOutcome =
  | { anchored: true; anchor: ChainAnchor; sinks: { sink: string; ok: boolean; error?: string }[] }
  | { anchored: false; reason: string };

const WEBHOOK_TIMEOUT_MS = 10_000;

/** The anchors in a sink file, oldest first; a malformed line is an error naming it. */
export function readAnchorFile(file: string): ChainAnchor[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, "utf8").split("\n").filter((line) => line.trim() !== "");
  return lines.map((line, i) => {
    let record: unknown = null;
    try {
      record = JSON.parse(line);
    } catch {
      // Reported below, with the line number.
    }
    const parsed = chainAnchorSchema.safeParse(record);
    if (!parsed.success) throw new Error(`${file} line ${i + 1} is not a chain anchor`);
    return parsed.data;
  });
}

async function postAnchor(url: string, anchor: ChainAnchor, fetchImpl: typeof fetch) {
  const response = await fetchImpl(url, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "flowgate-audit-anchor" },
    body: JSON.stringify(anchor),
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
}

/**
 * Verifies the chain from its newest checkpoint and anchors the verified head to every sink. A
 * broken chain is not anchored (an anchor vouches for what it names). The file gets no new line
 * when its last anchor already names this head, so several runners do not repeat each other.
 */
export async function anchorChainHead(
  db: Db,
  sinks: AnchorSinks,
  options: { databaseUrl?: string; fetch?: typeof fetch; now?: () => Date } = {},
): Promise<AnchorOutcome> {
  if (!sinks.file && !sinks.webhook) return { anchored: false, reason: "no anchor sink is configured (FLOWGATE_AUDIT_ANCHOR_FILE or FLOWGATE_AUDIT_ANCHOR_WEBHOOK)" };
  const status = await verifyFromCheckpoint(db, { databaseUrl: options.databaseUrl });
  if (!status.ok) return { anchored: false, reason: `the chain is broken at event ${status.broken?.sequence}: ${status.broken?.description}` };
  if (!status.verifiedThrough || !status.verifiedThroughHash) return { anchored: false, reason: "the audit log is empty" };
  const anchor: ChainAnchor = {
    version: 1,
    sequence: status.verifiedThrough,
    hash: status.verifiedThroughHash,
    occurredAt: status.verifiedAt,
    anchoredAt: (options.now?.() ?? new Date()).toISOString(),
  };
  const outcomes: { sink: string; ok: boolean; error?: string }[] = [];
  if (sinks.file) {
    try {
      const last = readAnchorFile(sinks.file).at(-1);
      if (last?.sequence !== anchor.sequence || last.hash !== anchor.hash) {
        fs.mkdirSync(path.dirname(path.resolve(sinks.file)), { recursive: true });
        fs.appendFileSync(sinks.file, `${JSON.stringify(anchor)}\n`);
      }
      outcomes.push({ sink: `file ${sinks.file}`, ok: true });
    } catch (error) {
      outcomes.push({ sink: `file ${sinks.file}`, ok: false, error: (error as Error).message });
    }
  }
  if (sinks.webhook) {
    try {
      await postAnchor(sinks.webhook, anchor, options.fetch ?? fetch);
      outcomes.push({ sink: `webhook ${new URL(sinks.webhook).origin}`, ok: true });
    } catch (error) {
      outcomes.push({ sink: `webhook ${new URL(sinks.webhook).origin}`, ok: false, error: (error as Error).message });
    }
  }
  return { anchored: true, anchor, sinks: outcomes };
}

export interface AnchorCheck {
  ok: boolean;
  anchors: number;
  /** The newest anchor the chain agrees with. */
  confirmedThrough: string | null;
  problems: { sequence: string; anchoredAt: string; description: string }[];
}

/**
 * Compares the chain with every anchor: each anchored event must still exist with the anchored
 * hash. A mismatch means the chain was rewritten up to that event (or cut back before it), even
 * when the rewritten chain is consistent in itself.
 */
export async function verifyAnchors(db: Db, anchors: ChainAnchor[]): Promise<AnchorCheck> {
  const problems: AnchorCheck["problems"] = [];
  let confirmedThrough: bigint | null = null;
  const stored = new Map<string, string>();
  for (let i = 0; i < anchors.length; i += 1000) {
    const sequences = anchors.slice(i, i + 1000).map((a) => BigInt(a.sequence));
    const rows = await db.auditEvent.findMany({ where: { sequence: { in: sequences } }, select: { sequence: true, hash: true } });
    for (const row of rows) stored.set(row.sequence.toString(), row.hash);
  }
  for (const anchor of anchors) {
    const hash = stored.get(anchor.sequence);
    if (hash === undefined) {
      problems.push({ sequence: anchor.sequence, anchoredAt: anchor.anchoredAt, description: `event ${anchor.sequence}, anchored at ${anchor.anchoredAt}, is missing: the chain was cut back` });
    } else if (hash !== anchor.hash) {
      problems.push({ sequence: anchor.sequence, anchoredAt: anchor.anchoredAt, description: `event ${anchor.sequence} no longer has the hash anchored at ${anchor.anchoredAt}: the chain was rewritten up to it` });
    } else if (confirmedThrough === null || BigInt(anchor.sequence) > confirmedThrough) {
      confirmedThrough = BigInt(anchor.sequence);
    }
  }
  return { ok: problems.length === 0, anchors: anchors.length, confirmedThrough: confirmedThrough?.toString() ?? null, problems };
}

/**
 * The runner's periodic anchoring: every `seconds`, never overlapping itself. The timer is unref'd,
 * so it never keeps a stopping runner alive; an anchor cut short by shutdown is simply retried by
 * the next runner's tick.
 */
export function startChainAnchoring(input: { db: Db; log: Logger; sinks: AnchorSinks; seconds: number; databaseUrl?: string }): { stop(): void } {
  if (!input.sinks.file && !input.sinks.webhook) return { stop() {} };
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    anchorChainHead(input.db, input.sinks, { databaseUrl: input.databaseUrl })
      .then((outcome) => {
        if (!outcome.anchored) input.log.warn({ reason: outcome.reason }, "audit chain head not anchored");
        else for (const sink of outcome.sinks.filter((s) => !s.ok)) input.log.warn({ sink: sink.sink, error: sink.error }, "audit chain anchor not delivered");
      })
      .catch((err) => input.log.warn({ err }, "audit chain anchoring failed; retrying at the next interval"))
      .finally(() => (busy = false));
  };
  const timer = setInterval(tick, input.seconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
