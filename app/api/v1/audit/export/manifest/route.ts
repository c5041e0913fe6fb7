import { computeAuditExportManifest, exportQuerySchema } from "@/lib/audit/export/export-events";
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
  async ({ db, query }) => json(await computeAuditExportManifest(db, query, { databaseUrl: env().DATABASE_URL })),
  { permission: "audit:read", query: exportQuerySchema },
);
