import { startFullVerification } from "@/lib/audit/run-full-verification";
import { verifyFromCheckpoint } from "@/lib/audit/verify-from-checkpoint";
import { auditActor } from "@/lib/auth/actor";
import { env } from "@/lib/env";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** The chain status: verified from the newest checkpoint, plus the last full verification's verdict. */
export const GET = route(async ({ db }) => json(await verifyFromCheckpoint(db, { databaseUrl: env().DATABASE_URL })), { permission: "audit:read" });

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
