import { computeAuditExportManifest, exportQueryInput, exportQuerySchema } from "@/lib/audit/export/export-events";
import { env } from "@/lib/env";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/**
 * GET with an export's query (including its `through`, from the export's Link header): the
 * manifest of exactly that file, recomputed page by page in constant memory. Without `through`
 * it describes an export of the chain as it is now. Not an audit event itself: it returns hashes
 * and counts, never event contents.
 */
export const GET = route(
  async ({ req, db }) => {
    const query = exportQuerySchema.parse(exportQueryInput(new URL(req.url).searchParams));
    return json(await computeAuditExportManifest(db, query, { databaseUrl: env().DATABASE_URL }));
  },
  { permission: "audit:read" },
);
