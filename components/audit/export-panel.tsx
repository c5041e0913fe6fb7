"use client";

import { useState } from "react";
import { isoToLocalInput, localInputToIso, type AuditFilters } from "./filter-params";

const linkClass = "rounded-md border border-slate-300 bg-white px-2.5 py-1 font-medium text-slate-700 hover:bg-slate-50";
const inputClass = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm";

function exportUrl(params: Record<string, string>): string {
  return `/api/v1/audit/export?${new URLSearchParams(Object.entries(params).filter(([, v]) => v !== ""))}`;
}

/** A week back from now, as the period when the filters name none. */
function lastWeek(): { from: string; to: string } {
  const to = new Date();
  return { from: new Date(to.getTime() - 7 * 24 * 3600_000).toISOString(), to: to.toISOString() };
}

/**
 * Downloads for the current filter: events as CSV or JSON Lines (the time range and run filters
 * apply; exports always hold whole chain slices), a PDF (the decision report when a run is
 * chosen, else the period summary), and a random sample of changes as one bundle. Every download
 * is recorded in the audit log by the server.
 */
export function ExportPanel({ filters }: { filters: AuditFilters }) {
  const fallback = lastWeek();
  const [period, setPeriod] = useState({ from: isoToLocalInput(filters.from || fallback.from), to: isoToLocalInput(filters.to || fallback.to) });
  const [sample, setSample] = useState({ n: "5", seed: "" });
  const from = localInputToIso(period.from);
  const to = localInputToIso(period.to);
  const range = { from: filters.from, to: filters.to, runId: filters.runId };
  const narrowed = ["repository", "prNumber", "actorType", "actor", "action", "decision"].some((key) => filters[key as keyof AuditFilters] !== "");
  const sampleUrl = `/api/v1/audit/sample?${new URLSearchParams(Object.entries({ from, to, n: sample.n, seed: sample.seed }).filter(([, v]) => v !== ""))}`;

  return (
    <section aria-label="Export" data-testid="audit-exports" className="space-y-2 rounded-lg border border-slate-200 bg-white p-3 text-sm">
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-medium text-slate-700">Export the events{filters.runId ? " of this run" : filters.from || filters.to ? " of this time range" : ""}:</span>
        <a className={linkClass} href={exportUrl({ format: "csv", ...range })} download>
          CSV
        </a>
        <a className={linkClass} href={exportUrl({ format: "jsonl", ...range })} download>
          JSON Lines
        </a>
        {filters.runId ? (
          <a className={linkClass} href={exportUrl({ format: "pdf", runId: filters.runId })} download>
            PDF decision report
          </a>
        ) : filters.from && filters.to ? (
          <a className={linkClass} href={exportUrl({ format: "pdf", from: filters.from, to: filters.to })} download>
            PDF summary of this range
          </a>
        ) : null}
        {narrowed && <span className="text-xs text-slate-500">Exports cover the time range and run only, so that they stay verifiable slices of the chain.</span>}
      </div>
      <div className="flex flex-wrap items-end gap-2">
        <label className="flex flex-col gap-1 text-xs font-medium text-slate-600">
          Period from
          <input type="datetime-local" className={inputClass} value={period.from} onChange={(e) => setPeriod({ ...period, from: e.target.value })} />
        </label>
        <label className="flex flex-col gap-1 text-xs font-medium text-slate-600">
          to (before)
          <input type="datetime-local" className={inputClass} value={period.to} onChange={(e) => setPeriod({ ...period, to: e.target.value })} />
        </label>
        <a className={linkClass} href={exportUrl({ format: "pdf", from, to })} download>
          Period summary (PDF)
        </a>
        <label className="flex flex-col gap-1 text-xs font-medium text-slate-600">
          Changes to sample
          <input inputMode="numeric" className={`${inputClass} w-20`} value={sample.n} onChange={(e) => setSample({ ...sample, n: e.target.value })} />
        </label>
        <label className="flex flex-col gap-1 text-xs font-medium text-slate-600">
          Seed (blank: random)
          <input className={`${inputClass} w-36`} value={sample.seed} onChange={(e) => setSample({ ...sample, seed: e.target.value })} />
        </label>
        <a className={linkClass} href={sampleUrl} download>
          Sample bundle (zip)
        </a>
      </div>
    </section>
  );
}
