"use client";

import Link from "next/link";
import type { AuditEventRow } from "@/lib/audit/search/search-events";
import { AuditEventDetailPanel } from "./audit-event-detail";

const actorTone: Record<AuditEventRow["actor"]["type"], string> = {
  agent: "bg-violet-100 text-violet-800",
  user: "bg-sky-100 text-sky-800",
  system: "bg-slate-100 text-slate-700",
};
const actorTypeLabel: Record<AuditEventRow["actor"]["type"], string> = { agent: "agent", user: "person", system: "system" };

/** One event: a summary line that opens to the full event. */
export function AuditEventListItem({ event, expanded, onToggle }: { event: AuditEventRow; expanded: boolean; onToggle: () => void }) {
  const detailId = `event-detail-${event.sequence}`;
  return (
    <li data-testid="audit-event" data-sequence={event.sequence} data-action={event.action} className="border-t border-slate-100 first:border-t-0">
      <div className="grid grid-cols-[auto_5rem_10rem_minmax(0,12rem)_minmax(0,11rem)_minmax(0,1fr)_auto] items-start gap-3 px-3 py-2 text-sm">
        <button
          type="button"
          aria-expanded={expanded}
          aria-controls={detailId}
          aria-label={`${expanded ? "Hide" : "Show"} event ${event.sequence}`}
          onClick={onToggle}
          className="w-5 rounded text-slate-500 hover:bg-slate-100 hover:text-slate-900"
        >
          {expanded ? "▾" : "▸"}
        </button>
        <span className="font-mono text-xs leading-5 text-slate-700">#{event.sequence}</span>
        <time dateTime={event.occurredAt} className="text-xs leading-5 text-slate-600" title={event.occurredAt}>
          {new Date(event.occurredAt).toLocaleString()}
        </time>
        <span className="flex min-w-0 items-center gap-1.5">
          <span className={`shrink-0 rounded px-1.5 py-0.5 text-[11px] font-medium ${actorTone[event.actor.type]}`}>{actorTypeLabel[event.actor.type]}</span>
          <span className="truncate" title={`${event.actor.label} (${event.actor.id})`}>
            {event.actor.label}
          </span>
        </span>
        <span className="truncate font-mono text-xs leading-5" title={event.action}>
          {event.action}
        </span>
        <span className="min-w-0 text-slate-700">
          {event.repository?.name && <span className="mr-1.5 text-xs text-slate-500">{event.repository.name}</span>}
          <span className="break-words">{event.summary}</span>
        </span>
        {event.runId ? (
          <Link href={`/audit/changes/${event.runId}`} data-testid="change-record-link" className="whitespace-nowrap text-xs text-indigo-700 hover:underline" title={`Run ${event.runId}`}>
            change record →
          </Link>
        ) : (
          <span />
        )}
      </div>
      {expanded && (
        <div id={detailId} className="border-t border-slate-100 bg-slate-50 px-4 py-3 md:pl-12">
          <AuditEventDetailPanel sequence={event.sequence} />
        </div>
      )}
    </li>
  );
}
