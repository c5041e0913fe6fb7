import { z } from "zod";
import { createAuditExport, exportQuerySchema, exportQueryString } from "@/lib/audit/export/export-events";
import { createPdfReport, pdfReportQuerySchema, type PdfReportQuery } from "@/lib/audit/export/export-report";
import { auditActor, type Actor } from "@/lib/auth/actor";
import type { Db } from "@/lib/db/client";
import { env } from "@/lib/env";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/**
 * GET ?format=pdf&runId=: the decision report of one change; ?format=pdf&from=&to=: a summary of
 * the changes in a period. Both are built whole (a few pages) and recorded as an export first.
 */
async function pdfReport(db: Db, query: PdfReportQuery, actor: Actor): Promise<Response> {
  const report = await createPdfReport(db, query, auditActor(actor), { databaseUrl: env().DATABASE_URL });
  return new Response(new Uint8Array(report.bytes), {
    headers: {
      "content-type": report.contentType,
      "content-disposition": `attachment; filename="${report.fileName}"`,
      "cache-control": "no-store",
      "x-report-sha256": report.sha256,
    },
  });
}

/**
 * GET ?format=csv|jsonl&from=&to=&runId=: the audit events as a file, streamed from keyset pages,
 * with no row limit. Recorded as an `audit.exported` event before the first byte is sent.
 *
 * The manifest (row count, first and last hash, the file's SHA-256) is only known once the last
 * byte is out, so it comes from a second request: the `Link` header names
 * /api/v1/audit/export/manifest with this export's query plus `through`, the chain's head when
 * this export started, and that endpoint recomputes the same bytes without sending them. HTTP
 * trailers would avoid the second pass, but browsers' fetch, most proxies and Next.js's Response
 * do not deliver them, and a manifest that silently goes missing is worse than a second read.
 */
export const GET = route(
  async ({ db, actor, log, query }) => {
    if (query.format === "pdf") return pdfReport(db, query, actor);
    const file = await createAuditExport(db, query, auditActor(actor), { databaseUrl: env().DATABASE_URL });
    // Headers are gone by the time a page fails; the client sees a cut-short body, the log says why.
    file.manifest.catch((err) => log.warn({ err }, "audit export stopped before the end"));
    const manifestUrl = `/api/v1/audit/export/manifest?${exportQueryString(query, file.throughSequence)}`;
    return new Response(file.stream, {
      headers: {
        "content-type": file.contentType,
        "content-disposition": `attachment; filename="${file.fileName}"`,
        "cache-control": "no-store",
        "x-audit-export-through": file.throughSequence.toString(),
        link: `<${manifestUrl}>; rel="describedby"`,
      },
    });
  },
  { permission: "audit:read", query: z.discriminatedUnion("format", [pdfReportQuerySchema, exportQuerySchema]) },
);
