"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { EmptyState } from "@/components/ui/empty-state";
import { fetchJson } from "@/components/ui/api";
import type { AuditEventPage } from "@/lib/audit/search/search-events";
import { AuditEventListItem } from "./audit-event-row";
import { AuditFilterBar } from "./audit-filter-bar";
import { ExportPanel } from "./export-panel";
import { filterParams, hasFilters, type AuditFilters } from "./filter-params";

const PAGE_SIZE = 50;

function eventsUrl(filters: AuditFilters, before: string | null): string {
  const params = filterParams({ ...filters, before: before ?? filters.before });
  params.set("limit", String(PAGE_SIZE));
  return `/api/v1/audit/events?${params}`;
}

function useExpanded(initiallyOpen: string | null) {
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set(initiallyOpen ? [initiallyOpen] : []));
  const toggle = useCallback((sequence: string) => {
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(sequence)) next.add(sequence);
      return next;
    });
  }, []);
  return { expanded, toggle };
}

/**
 * The auditor's search: filters, then events newest first in pages of 50. "Load older" follows
 * the server's keyset cursor, so every page costs the same however deep the log is.
 */
export function AuditExplorer({ initialFilters, open }: { initialFilters: AuditFilters; open: string | null }) {
  const [filters, setFiltersState] = useState(initialFilters);
  const { expanded, toggle } = useExpanded(open);
  const query = useInfiniteQuery({
    queryKey: ["audit-events", filters],
    queryFn: ({ pageParam }) => fetchJson<AuditEventPage>(eventsUrl(filters, pageParam)),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
  });

  const setFilters = useCallback((next: AuditFilters) => {
    setFiltersState(next);
    // Kept in the address so a filtered view can be bookmarked or handed to a colleague.
    const params = filterParams(next).toString();
    window.history.replaceState(null, "", params ? `?${params}` : window.location.pathname);
  }, []);

  const events = query.data?.pages.flatMap((page) => page.events) ?? [];
  return (
    <div className="space-y-4">
      <AuditFilterBar filters={filters} onApply={setFilters} />
      <ExportPanel key={`${filters.from}|${filters.to}`} filters={filters} />
      {query.isError && (
        <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
          Could not load audit events: {query.error.message}
        </div>
      )}
      {query.isLoading ? (
        <p className="text-sm text-slate-500">Loading audit events…</p>
      ) : events.length === 0 && !query.isError ? (
        <EmptyState title={hasFilters(filters) ? "No audit events match these filters" : "No audit events yet"}>
          {hasFilters(filters)
            ? "Widen the time range or clear a filter. An action filter ending in * matches every action with that prefix."
            : "Events are recorded for every agent decision, human decision and administrative change."}
        </EmptyState>
      ) : (
        <div className={`rounded-lg border border-slate-200 bg-white ${query.isPlaceholderData ? "opacity-60" : ""}`}>
          <ol aria-label="Audit events" data-testid="audit-events">
            {events.map((event) => (
              <AuditEventListItem key={event.sequence} event={event} expanded={expanded.has(event.sequence)} onToggle={() => toggle(event.sequence)} />
            ))}
          </ol>
          <div className="flex items-center justify-between border-t border-slate-100 px-3 py-2 text-sm text-slate-600">
            <span>
              {events.length} event{events.length === 1 ? "" : "s"} shown, newest first
            </span>
            {query.hasNextPage ? (
              <button
                type="button"
                onClick={() => query.fetchNextPage()}
                disabled={query.isFetchingNextPage}
                className="rounded-md border border-slate-300 bg-white px-3 py-1 font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-50"
              >
                {query.isFetchingNextPage ? "Loading older…" : "Load older"}
              </button>
            ) : (
              <span>End of the log for these filters.</span>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
