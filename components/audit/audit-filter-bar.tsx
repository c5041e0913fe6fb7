"use client";

import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { fetchJson } from "@/components/ui/api";
import type { RepositoryRow } from "@/lib/repositories/list-repositories";
import { decisionOptions, isoToLocalInput, knownActions, localInputToIso, noFilters, type AuditFilters } from "./filter-params";

const inputClass = "w-full rounded-md border border-slate-300 bg-white px-2 py-1 text-sm";

function Field({ label, htmlFor, children }: { label: string; htmlFor: string; children: ReactNode }) {
  return (
    <div className="flex min-w-0 flex-col gap-1">
      <label htmlFor={htmlFor} className="text-xs font-medium text-slate-600">
        {label}
      </label>
      {children}
    </div>
  );
}

/** Names for the repository field's suggestions; typing any name still works if this fails. */
function useRepositoryNames(): string[] {
  const query = useQuery({
    queryKey: ["repositories"],
    queryFn: () => fetchJson<{ repositories: Pick<RepositoryRow, "name">[] }>("/api/v1/repositories"),
    staleTime: 60_000,
  });
  return query.data?.repositories.map((r) => r.name) ?? [];
}

/** Times are edited in local time and applied as ISO instants. */
function toDraft(filters: AuditFilters): AuditFilters {
  return { ...filters, from: isoToLocalInput(filters.from), to: isoToLocalInput(filters.to) };
}

/**
 * The filter form. Edits stay a draft until applied, so typing a run id does not fire a query
 * per keystroke.
 */
export function AuditFilterBar({ filters, onApply }: { filters: AuditFilters; onApply: (next: AuditFilters) => void }) {
  const [draft, setDraft] = useState(() => toDraft(filters));
  const repositories = useRepositoryNames();
  const set = (key: keyof AuditFilters) => (event: { target: { value: string } }) => setDraft({ ...draft, [key]: event.target.value });

  function apply(event: FormEvent) {
    event.preventDefault();
    onApply({ ...draft, from: localInputToIso(draft.from), to: localInputToIso(draft.to) });
  }
  function clear() {
    setDraft(noFilters);
    onApply(noFilters);
  }

  return (
    <form onSubmit={apply} aria-label="Filter audit events" className="grid grid-cols-2 gap-3 rounded-lg border border-slate-200 bg-white p-3 md:grid-cols-4 xl:grid-cols-6">
      <Field label="From" htmlFor="audit-from">
        <input id="audit-from" type="datetime-local" className={inputClass} value={draft.from} onChange={set("from")} />
      </Field>
      <Field label="To (before)" htmlFor="audit-to">
        <input id="audit-to" type="datetime-local" className={inputClass} value={draft.to} onChange={set("to")} />
      </Field>
      <Field label="Repository" htmlFor="audit-repository">
        <input id="audit-repository" list="audit-repositories" className={inputClass} value={draft.repository} onChange={set("repository")} placeholder="any" />
        <datalist id="audit-repositories">
          {repositories.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
      </Field>
      <Field label="PR number" htmlFor="audit-pr">
        <input id="audit-pr" inputMode="numeric" className={inputClass} value={draft.prNumber} onChange={set("prNumber")} placeholder="needs repository" />
      </Field>
      <Field label="Run id" htmlFor="audit-run">
        <input id="audit-run" className={`${inputClass} font-mono`} value={draft.runId} onChange={set("runId")} placeholder="any" />
      </Field>
      <Field label="Before event #" htmlFor="audit-before">
        <input id="audit-before" inputMode="numeric" className={inputClass} value={draft.before} onChange={set("before")} placeholder="newest" />
      </Field>
      <Field label="Actor type" htmlFor="audit-actor-type">
        <select id="audit-actor-type" className={inputClass} value={draft.actorType} onChange={set("actorType")}>
          <option value="">any</option>
          <option value="agent">agent</option>
          <option value="user">person</option>
          <option value="system">system</option>
        </select>
      </Field>
      <Field label="Actor (id or label prefix)" htmlFor="audit-actor">
        <input id="audit-actor" className={inputClass} value={draft.actor} onChange={set("actor")} placeholder="e.g. alice@" />
      </Field>
      <Field label="Action (prefix with *)" htmlFor="audit-action">
        <input id="audit-action" list="audit-actions" className={`${inputClass} font-mono`} value={draft.action} onChange={set("action")} placeholder="e.g. escalation.*" />
        <datalist id="audit-actions">
          {knownActions.map((action) => (
            <option key={action} value={action} />
          ))}
        </datalist>
      </Field>
      <Field label="Decision" htmlFor="audit-decision">
        <select id="audit-decision" className={inputClass} value={draft.decision} onChange={set("decision")}>
          <option value="">any</option>
          {decisionOptions.map((value) => (
            <option key={value} value={value}>
              {value.replace("_", " ")}
            </option>
          ))}
        </select>
      </Field>
      <div className="col-span-2 flex items-end gap-2">
        <button type="submit" className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-700">
          Apply filters
        </button>
        <button type="button" onClick={clear} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-50">
          Clear
        </button>
      </div>
    </form>
  );
}
