"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { assignEscalation } from "@/components/escalations/api";
import { fetchJson } from "@/components/ui/api";
import { EmptyState } from "@/components/ui/empty-state";
import type { Me } from "@/lib/auth/me";
import type { InboxItem, InboxResponse } from "@/lib/escalations/inbox";
import { FilterControls, ReasonChips, filterParams, filtersFrom, hasFilters, noFilters, type InboxFilters } from "./inbox-filters";
import { InboxHeader, InboxRow } from "./inbox-row";
import { isOnControl, isPlainKey } from "./keyboard";
import { useFreshItems } from "./use-fresh-items";

function useNow(intervalMs: number) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** Repositories seen so far: filtering by one must not make the others vanish from the select. */
function useKnownRepositories(items: InboxItem[] | undefined, selected: string) {
  const [known, setKnown] = useState<string[]>([]);
  useEffect(() => {
    const names = [...(items ?? []).map((i) => i.repository), selected].filter(Boolean);
    setKnown((prev) => (names.every((n) => prev.includes(n)) ? prev : [...new Set([...prev, ...names])].sort()));
  }, [items, selected]);
  return known;
}

function KeyboardHint() {
  const key = (k: string) => <kbd className="rounded border border-slate-300 bg-white px-1 font-mono text-[11px] text-slate-700">{k}</kbd>;
  return (
    <p className="text-xs text-slate-500" data-testid="keyboard-hint">
      {key("j")}/{key("k")} move · {key("Enter")} open · {key("a")} approve · {key("r")} reject · {key("m")} assign to me / unassign
    </p>
  );
}

/**
 * The reviewers' inbox: open escalations, oldest due first, refreshed every 2 s. Driven from the
 * keyboard: j/k select, Enter opens, a/r open with the decision box ready.
 */
export function Inbox({ initial }: { initial?: { params: string; data: InboxResponse } | null }) {
  const router = useRouter();
  const searchParams = useSearchParams();
  const queryClient = useQueryClient();
  const [filters, setFiltersState] = useState<InboxFilters>(() => filtersFrom(new URLSearchParams(searchParams.toString())));
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const lastIndex = useRef(0);
  const scrollOnSelect = useRef(false);
  const rows = useRef(new Map<string, HTMLLIElement>());
  const now = useNow(1000);

  const query = useQuery({
    queryKey: ["inbox", filters],
    queryFn: () => fetchJson<InboxResponse>(`/api/v1/escalations?${filterParams(filters)}`),
    refetchInterval: 2000,
    // The server rendered the first page of this very filter: show it at once, then poll.
    initialData: () => (initial && filterParams(filters).toString() === initial.params ? initial.data : undefined),
    // Keep the old list on screen while a new filter loads, instead of flashing "Loading".
    placeholderData: keepPreviousData,
  });
  const me = useQuery({ queryKey: ["me"], queryFn: () => fetchJson<Me>("/api/v1/me"), staleTime: Infinity });
  const assign = useMutation({
    mutationFn: ({ id, assignee }: { id: string; assignee: "me" | null }) => assignEscalation(id, assignee),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["inbox"] }),
  });

  const [firstLoadAt, setFirstLoadAt] = useState<string>();
  useEffect(() => {
    if (!firstLoadAt && query.data) setFirstLoadAt(query.data.now);
  }, [firstLoadAt, query.data]);
  const { isFresh, markSeen } = useFreshItems(firstLoadAt);

  const items = useMemo(() => query.data?.items ?? [], [query.data]);
  const repositories = useKnownRepositories(query.data?.items, filters.repository);

  // The selection follows the item, not the position; if the item leaves (decided by someone
  // else), the selection stays at the same place in the list.
  const found = items.findIndex((i) => i.id === selectedId);
  // eslint-disable-next-line react-hooks/refs -- the last rendered position, read on purpose
  const selectedIndex = items.length === 0 ? -1 : found >= 0 ? found : Math.min(lastIndex.current, items.length - 1);
  const selected = selectedIndex >= 0 ? items[selectedIndex] : undefined;
  useEffect(() => {
    if (selectedIndex >= 0) lastIndex.current = selectedIndex;
    if (selected) markSeen(selected.id);
  }, [selectedIndex, selected, markSeen]);

  useEffect(() => {
    if (!selected || !scrollOnSelect.current) return;
    scrollOnSelect.current = false;
    rows.current.get(selected.id)?.scrollIntoView({ block: "nearest" });
  }, [selected]);

  const setFilters = useCallback((next: InboxFilters) => {
    setFiltersState(next);
    // Kept in the address so "back" from an escalation returns to the same view.
    const params = filterParams(next).toString();
    window.history.replaceState(null, "", params ? `?${params}` : window.location.pathname);
  }, []);

  const open = useCallback(
    (item: InboxItem, decide?: "approve" | "reject") => router.push(`/escalations/${item.id}${decide ? `?decide=${decide}` : ""}`),
    [router],
  );

  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (!isPlainKey(event) || items.length === 0) return;
      const move = (delta: number) => {
        const next = Math.max(0, Math.min(items.length - 1, selectedIndex + delta));
        scrollOnSelect.current = true;
        setSelectedId(items[next].id);
      };
      if (event.key === "j") move(1);
      else if (event.key === "k") move(-1);
      else if (event.key === "Enter" && selected && !isOnControl(event.target)) open(selected);
      else if (event.key === "a" && selected) open(selected, "approve");
      else if (event.key === "r" && selected) open(selected, "reject");
      else if (event.key === "m" && selected) assign.mutate({ id: selected.id, assignee: selected.assignee?.id === me.data?.user.id ? null : "me" });
      else return;
      event.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [items, selectedIndex, selected, open, assign, me.data]);

  if (query.isLoading) return <p className="text-sm text-slate-500">Loading the inbox…</p>;
  if (query.isError && !query.data) {
    return (
      <div role="alert" className="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
        Could not load the inbox: {query.error.message}
      </div>
    );
  }
  const data = query.data!;
  return (
    <div className="space-y-4">
      <div className="space-y-3 rounded-lg border border-slate-200 bg-white p-3">
        <ReasonChips counts={data.counts} active={filters.reason} onChange={(reason) => setFilters({ ...filters, reason })} />
        <div className="flex flex-wrap items-center justify-between gap-3">
          <FilterControls filters={filters} repositories={repositories} onChange={setFilters} />
          <span className="text-xs text-slate-500" aria-live="polite">
            {query.isError ? <span className="text-red-700">Could not refresh: {query.error.message}</span> : `${data.total} open · live`}
          </span>
        </div>
      </div>
      {assign.isError && (
        <p role="alert" className="text-sm text-red-700">
          Could not change the assignee: {assign.error.message}
        </p>
      )}
      {items.length === 0 ? (
        hasFilters(filters) ? (
          <EmptyState title="No escalations match these filters">
            Other escalations may be waiting.{" "}
            <button type="button" className="text-indigo-700 hover:underline" onClick={() => setFilters(noFilters)}>
              Clear the filters
            </button>{" "}
            to see them all.
          </EmptyState>
        ) : (
          <EmptyState title="Nothing waiting for you">
            When an agent cannot let a pull request through on its own (high risk, an API break, a schema change, a new
            service integration, a coverage gap, an agent error), it lands here with its context package for a person to
            decide. Nothing is escalated right now.
          </EmptyState>
        )
      ) : (
        <>
          <KeyboardHint />
          <div className="rounded-lg border border-slate-200 bg-white">
            <InboxHeader />
            <ul className="divide-y divide-slate-100" aria-label="Open escalations">
              {items.map((item, index) => (
                <InboxRow
                  key={item.id}
                  item={item}
                  now={now}
                  selected={index === selectedIndex}
                  fresh={isFresh(item)}
                  assignedToMe={Boolean(me.data && item.assignee?.id === me.data.user.id)}
                  assigning={assign.isPending && assign.variables?.id === item.id}
                  rowRef={(el) => {
                    if (el) rows.current.set(item.id, el);
                    else rows.current.delete(item.id);
                  }}
                  onSelect={() => setSelectedId(item.id)}
                  onAssign={(assignee) => assign.mutate({ id: item.id, assignee })}
                />
              ))}
            </ul>
          </div>
        </>
      )}
    </div>
  );
}
