import { createSampleBundle, sampleQuerySchema } from "@/lib/audit/export/sample-changes";
import { auditActor } from "@/lib/auth/actor";
import { env } from "@/lib/env";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/**
 * GET ?from=&to=&n=&seed=: N changes of the period drawn at random (seeded; a blank seed is drawn
 * and recorded), with their evidence in one zip. Recorded as an `audit.sampled` event.
 */
export const GET = route(
  async ({ db, actor, query }) => {
    const bundle = await createSampleBundle(db, query, auditActor(actor), { databaseUrl: env().DATABASE_URL });
    return new Response(new Uint8Array(bundle.bytes), {
      headers: {
        "content-type": "application/zip",
        "content-disposition": `attachment; filename="${bundle.fileName}"`,
        "cache-control": "no-store",
        "x-sample-seed": bundle.manifest.seed,
        "x-sample-sha256": bundle.sha256,
      },
    });
  },
  { permission: "audit:read", query: sampleQuerySchema },
);
