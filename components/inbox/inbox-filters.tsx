"use client";

import { reasonName, reasonOrder } from "./reasons";

export interface InboxFilters {
  reason: string;
  repository: string;
  /** "" is anyone. */
  assignee: "" | "me" | "unassigned";
  overdue: boolean;
}

export const noFilters: InboxFilters = { reason: "", repository: "", assignee: "", overdue: false };

export function hasFilters(filters: InboxFilters): boolean {
  return Boolean(filters.reason || filters.repository || filters.assignee || filters.overdue);
}

/** The API's query string: only what is set, so the defaults stay the server's. */
export function filterParams(filters: InboxFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.reason) params.set("reason", filters.reason);
  if (filters.repository) params.set("repository", filters.repository);
  if (filters.assignee) params.set("assignee", filters.assignee);
  if (filters.overdue) params.set("overdue", "true");
  return params;
}

export function filtersFrom(params: URLSearchParams): InboxFilters {
  const assignee = params.get("assignee");
  return {
    reason: params.get("reason") ?? "",
    repository: params.get("repository") ?? "",
    assignee: assignee === "me" || assignee === "unassigned" ? assignee : "",
    overdue: params.get("overdue") === "true",
  };
}

const chipBase = "rounded-full px-3 py-1 text-xs font-medium ring-1 ring-inset transition-colors";
const chipOn = "bg-indigo-600 text-white ring-indigo-600";
const chipOff = "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50";

/** Counts per reason, over the other filters; a chip filters by its reason, clicking it again clears it. */
export function ReasonChips({ counts, active, onChange }: { counts: Record<string, number>; active: string; onChange: (reason: string) => void }) {
  const shown = reasonOrder.filter((code) => (counts[code] ?? 0) > 0 || code === active);
  return (
    <div className="flex flex-wrap items-center gap-2" role="group" aria-label="Filter by reason">
      <button type="button" aria-pressed={active === ""} className={`${chipBase} ${active === "" ? chipOn : chipOff}`} onClick={() => onChange("")}>
        All reasons
      </button>
      {shown.map((code) => (
        <button
          key={code}
          type="button"
          data-reason={code}
          aria-pressed={active === code}
          className={`${chipBase} ${active === code ? chipOn : chipOff}`}
          onClick={() => onChange(active === code ? "" : code)}
        >
          {reasonName(code)}
          <span className={`ml-1.5 tabular-nums ${active === code ? "text-indigo-100" : "text-slate-500"}`}>{counts[code] ?? 0}</span>
        </button>
      ))}
    </div>
  );
}

const selectClass = "rounded-md border border-slate-300 bg-white px-2 py-1";

export function FilterControls({
  filters,
  repositories,
  onChange,
}: {
  filters: InboxFilters;
  repositories: string[];
  onChange: (next: InboxFilters) => void;
}) {
  return (
    <div className="flex flex-wrap items-center gap-3 text-sm">
      <label className="flex items-center gap-2">
        Repository
        <select value={filters.repository} onChange={(e) => onChange({ ...filters, repository: e.target.value })} className={selectClass}>
          <option value="">All</option>
          {repositories.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-2">
        Assignee
        <select
          value={filters.assignee}
          onChange={(e) => onChange({ ...filters, assignee: e.target.value as InboxFilters["assignee"] })}
          className={selectClass}
        >
          <option value="">Anyone</option>
          <option value="me">Me</option>
          <option value="unassigned">Unassigned</option>
        </select>
      </label>
      <label className="flex items-center gap-2">
        <input type="checkbox" checked={filters.overdue} onChange={(e) => onChange({ ...filters, overdue: e.target.checked })} className="h-4 w-4 rounded border-slate-300" />
        Overdue only
      </label>
      {hasFilters(filters) && (
        <button type="button" onClick={() => onChange(noFilters)} className="text-indigo-700 hover:underline">
          Clear filters
        </button>
      )}
    </div>
  );
}
