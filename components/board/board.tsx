"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { fetchJson } from "@/components/ui/api";
import { formatDuration, riskTone, statusTone } from "@/components/ui/format";
import type { BoardCard, BoardResponse } from "@/lib/runs/board";
import { finishedRunStatuses } from "@/lib/pipeline/stages";

const stageColumns = [
  { key: "review", label: "Review" },
  { key: "test", label: "Test" },
  { key: "staging", label: "Staging" },
  { key: "validation", label: "Validation" },
  { key: "deployment", label: "Deployment" },
] as const;

const FINISHED = new Set<string>(finishedRunStatuses);

function columnOf(card: BoardCard): string {
  if (card.status === "escalated") return "escalated";
  if (FINISHED.has(card.status)) return "finished";
  return card.currentStage ?? "review";
}

function stateLabel(card: BoardCard): string {
  return card.status.replace("_", " ");
}

function Card({ card, now }: { card: BoardCard; now: number }) {
  return (
    <Link
      href={`/runs/${card.id}`}
      data-testid="run-card"
      className="block rounded-md border border-slate-200 bg-white p-3 text-sm shadow-sm hover:border-indigo-300 hover:shadow"
    >
      <div className="flex items-center justify-between gap-2 text-xs text-slate-500">
        <span>
          {card.repository} #{card.pullRequest.number}
        </span>
        <span className={`rounded px-1.5 py-0.5 font-medium ${riskTone(card.riskScore)}`} title="Risk score from review">
          {card.riskScore === null ? "risk –" : `risk ${card.riskScore}`}
        </span>
      </div>
      <div className="mt-1 line-clamp-2 font-medium text-slate-900">{card.pullRequest.title}</div>
      <div className="mt-2 flex items-center justify-between gap-2 text-xs">
        <span className="truncate text-slate-500">{card.pullRequest.author}</span>
        <span className="shrink-0 text-slate-500" title="Time in the current stage">
          {formatDuration(now - new Date(card.stageSince).getTime())}
        </span>
      </div>
      <div className="mt-2">
        <span className={`rounded px-1.5 py-0.5 text-xs ${statusTone[card.status] ?? statusTone.queued}`}>{stateLabel(card)}</span>
        {card.simulated && <span className="ml-1 rounded bg-violet-100 px-1.5 py-0.5 text-xs text-violet-800">simulated</span>}
      </div>
    </Link>
  );
}

/** The board: one column per stage plus Escalated and Finished, refreshed every 1.5 s. */
export function Board() {
  const [repository, setRepository] = useState("");
  const [status, setStatus] = useState("all");
  const [showSimulated, setShowSimulated] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const query = useQuery({
    queryKey: ["board", repository, status, showSimulated],
    queryFn: () =>
      fetchJson<BoardResponse>(
        `/api/v1/runs?${new URLSearchParams({ repository, status, simulated: showSimulated ? "show" : "hide" })}`,
      ),
    refetchInterval: 1500,
  });

  const columns = [...stageColumns, { key: "escalated", label: "Escalated" }, { key: "finished", label: "Finished" }];
  const cards = query.data?.cards ?? [];
  return (
    <div>
      <div className="mb-4 flex flex-wrap items-center gap-3 text-sm">
        <label className="flex items-center gap-2">
          Repository
          <select value={repository} onChange={(e) => setRepository(e.target.value)} className="rounded-md border border-slate-300 bg-white px-2 py-1">
            <option value="">All</option>
            {query.data?.repositories.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-2">
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value)} className="rounded-md border border-slate-300 bg-white px-2 py-1">
            <option value="all">All</option>
            <option value="active">Active</option>
            <option value="escalated">Escalated</option>
            <option value="finished">Finished</option>
          </select>
        </label>
        {(query.data?.simulatedRuns ?? 0) > 0 && (
          <label className="flex items-center gap-2 text-xs text-violet-800" title="Runs made by `npm run ctl -- simulate-history` for the metrics page">
            <input type="checkbox" checked={showSimulated} onChange={(e) => setShowSimulated(e.target.checked)} />
            Show {query.data!.simulatedRuns} simulated runs
          </label>
        )}
        <span className="ml-auto text-xs text-slate-500" aria-live="polite">
          {query.isError ? `Could not refresh: ${query.error.message}` : query.isFetching ? "Refreshing…" : `${cards.length} runs · live`}
        </span>
      </div>
      {query.isLoading && <p className="text-sm text-slate-500">Loading runs…</p>}
      {query.data && cards.length === 0 && (
        <div className="rounded-lg border border-dashed border-slate-300 bg-white px-6 py-12 text-center text-sm text-slate-600">
          <h2 className="text-base font-semibold text-slate-900">No runs yet</h2>
          <p className="mx-auto mt-2 max-w-xl">
            Pull requests appear here as soon as they are submitted: with an API token that has the <code>runs:write</code> scope through{" "}
            <code>POST /api/v1/runs</code>, or from a local git repository with{" "}
            <code>npm run ctl -- submit --repo &lt;path&gt; --base main --head &lt;branch&gt;</code>.
          </p>
        </div>
      )}
      {cards.length > 0 && (
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4 xl:grid-cols-7">
          {columns.map((column) => {
            const inColumn = cards.filter((card) => columnOf(card) === column.key);
            return (
              <section key={column.key} aria-label={column.label} data-column={column.key} className="min-w-0 rounded-lg bg-slate-100 p-2">
                <h2 className="mb-2 flex items-center justify-between px-1 text-xs font-semibold uppercase tracking-wide text-slate-600">
                  {column.label}
                  <span className="rounded-full bg-white px-2 text-slate-500">{inColumn.length}</span>
                </h2>
                <div className="space-y-2">
                  {inColumn.map((card) => (
                    <Card key={card.id} card={card} now={now} />
                  ))}
                </div>
              </section>
            );
          })}
        </div>
      )}
    </div>
  );
}
