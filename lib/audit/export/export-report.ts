/**
 * PDF exports: a decision report for one change (`format=pdf&runId=`) or a summary of a period
 * (`format=pdf&from=&to=`). Each is recorded as an `audit.exported` event naming the report, the
 * chain checkpoint it shows and the SHA-256 of the file, so a filed copy can be matched to its
 * export later.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Db } from "../../db/client";
import { DomainError } from "../../errors";
import { appendAuditEvent, type AuditActor } from "../chain/append-audit-event";
import { loadChangeRecord } from "../reports/change-record";
import { renderDecisionReport } from "../reports/decision-report-pdf";
import { loadPeriodSummary } from "../reports/period-summary";
import { renderPeriodSummary } from "../reports/period-summary-pdf";

export const pdfReportQuerySchema = z
  .object({
    format: z.literal("pdf"),
    runId: z.string().trim().min(1).max(200).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .superRefine((q, ctx) => {
    if (q.runId && (q.from || q.to)) ctx.addIssue({ code: "custom", path: ["runId"], message: "a decision report takes runId alone; a period summary takes from and to" });
    if (!q.runId) {
      if (!q.from) ctx.addIssue({ code: "custom", path: ["from"], message: "required for a period summary (or give runId for a decision report)" });
      if (!q.to) ctx.addIssue({ code: "custom", path: ["to"], message: "required for a period summary (or give runId for a decision report)" });
      if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to)) ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
    }
  });
export type PdfReportQuery = z.infer<typeof pdfReportQuerySchema>;

export interface PdfReport {
  fileName: string;
  contentType: "application/pdf";
  bytes: Buffer;
  sha256: string;
  /** The chain checkpoint printed on every page. */
  checkpoint: { sequence: string | null; hash: string | null; ok: boolean };
}

interface ReportOptions {
  databaseUrl?: string;
  /** Tests read the raw PDF. */
  compress?: boolean;
}

/** The decision report of one run, without recording an export (the sample bundle records its own). */
export async function buildDecisionReport(db: Db, runId: string, options: ReportOptions = {}): Promise<PdfReport> {
  const record = await loadChangeRecord(db, runId, { databaseUrl: options.databaseUrl });
  if (!record) throw new DomainError("not_found", `No run ${runId}`);
  const bytes = await renderDecisionReport(record, { compress: options.compress });
  const safeName = `${record.request.repository}-${record.request.pullRequest.number}`.replace(/[^A-Za-z0-9._-]+/g, "_");
  return {
    fileName: `flowgate-decision-report-${safeName}-${runId}.pdf`,
    contentType: "application/pdf",
    bytes,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    checkpoint: { sequence: record.chain.verifiedThrough, hash: record.chain.verifiedThroughHash, ok: record.chain.ok },
  };
}

async function buildPeriodSummary(db: Db, period: { from: string; to: string }, options: ReportOptions): Promise<PdfReport> {
  const summary = await loadPeriodSummary(db, period, { databaseUrl: options.databaseUrl });
  const bytes = await renderPeriodSummary(summary, { compress: options.compress });
  const day = (iso: string) => iso.slice(0, 10);
  return {
    fileName: `flowgate-change-summary-${day(period.from)}-to-${day(period.to)}.pdf`,
    contentType: "application/pdf",
    bytes,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    checkpoint: { sequence: summary.chain.verifiedThrough, hash: summary.chain.verifiedThroughHash, ok: summary.chain.ok },
  };
}

/** Builds the report and records the export; throws DomainError not_found for an unknown run. */
export async function createPdfReport(db: Db, query: PdfReportQuery, actor: AuditActor, options: ReportOptions = {}): Promise<PdfReport> {
  const report = query.runId ? await buildDecisionReport(db, query.runId, options) : await buildPeriodSummary(db, { from: query.from!, to: query.to! }, options);
  await db.$transaction((tx) =>
    appendAuditEvent(tx, {
      actor,
      action: "audit.exported",
      subject: query.runId ? { type: "run", id: query.runId } : { type: "audit_log", id: `${query.from}/${query.to}` },
      // Not attached to the run (runId stays null), like every export: the run's evidence is what
      // happened to the change, and reading it is not part of that.
      payload: {
        format: "pdf",
        report: query.runId ? "decision_report" : "period_summary",
        filter: { from: query.from ?? null, to: query.to ?? null, runIds: query.runId ? [query.runId] : null },
        checkpoint: report.checkpoint,
        fileName: report.fileName,
        sha256: report.sha256,
      },
    }),
  );
  return report;
}
