import { readAnchorFile, verifyAnchors } from "@/lib/audit/verify/anchor-chain-head";
import { startFullVerification } from "@/lib/audit/verify/run-full-verification";
import { verifyFromCheckpoint } from "@/lib/audit/verify/verify-from-checkpoint";
import { auditActor } from "@/lib/auth/actor";
import { env } from "@/lib/env";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** Anchors compared on each status request; any one after an edit shows it, as later hashes chain from it. */
const RECENT_ANCHORS = 100;

/**
 * The chain status: verified from the newest checkpoint, plus the last full verification's
 * verdict, and, with an anchor file configured, the chain compared with its most recent anchors.
 */
export const GET = route(
  async ({ db }) => {
    const config = env();
    const status = await verifyFromCheckpoint(db, { databaseUrl: config.DATABASE_URL });
    const anchors = config.FLOWGATE_AUDIT_ANCHOR_FILE ? await verifyAnchors(db, readAnchorFile(config.FLOWGATE_AUDIT_ANCHOR_FILE).slice(-RECENT_ANCHORS)) : null;
    return json({ ...status, anchors });
  },
  { permission: "audit:read" },
);

/**
 * Starts a full verification (every event from the genesis) in the background and answers at once
 * with 202 and the run to poll at /api/v1/audit/verify/{id}; the one already running, if any.
 */
export const POST = route(
  async ({ db, actor, log }) => {
    const { verification } = await startFullVerification(db, {
      requestedBy: auditActor(actor),
      databaseUrl: env().DATABASE_URL,
      onError: (err) => log.error({ err }, "full audit chain verification could not record its outcome"),
    });
    return json({ verification }, { status: 202, headers: { location: `/api/v1/audit/verify/${verification.id}` } });
  },
  { permission: "audit:read" },
);
