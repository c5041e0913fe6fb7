"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { EmptyState } from "@/components/ui/empty-state";
import { fetchJson } from "@/components/ui/api";
import type { DeploymentListItem, DeploymentListPage } from "@/lib/deployments/list-deployments";
import { deploymentStatuses, environments } from "@/lib/deployments/status";
import { formatClock, formatSpan, label } from "./format";
import { DeploymentStatusBadge } from "./status-badge";

export interface DeploymentFilters {
  environment: string;
  status: string;
  repository: string;
}

const LIVE_POLL_MS = 2_000;
/** Nothing running: still look for new deployments, less often. */
const IDLE_POLL_MS = 10_000;

function filterParams(filters: DeploymentFilters, before?: string) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
  if (before) params.set("before", before);
  return params;
}

function Select({ name, value, options, onChange }: { name: string; value: string; options: readonly string[]; onChange: (value: string) => void }) {
  return (
    <label className="flex items-center gap-2">
      {name}
      <select value={value} onChange={(e) => onChange(e.target.value)} className="rounded-md border border-slate-300 bg-white px-2 py-1">
        <option value="">All</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {label(option)}
          </option>
        ))}
      </select>
    </label>
  );
}

function Row({ deployment, now }: { deployment: DeploymentListItem; now: number }) {
  const router = useRouter();
  const href = `/deployments/${deployment.id}`;
  const started = Date.parse(deployment.startedAt);
  const ended = deployment.finishedAt ? Date.parse(deployment.finishedAt) : now;
  return (
    <tr
      className="cursor-pointer border-t border-slate-100 align-top hover:bg-slate-50"
      data-testid="deployment-row"
      data-status={deployment.status}
      onClick={(event) => {
        // Links inside the row keep their own targets.
        if (!(event.target as HTMLElement).closest("a")) router.push(href);
      }}
    >
      <td className="px-3 py-2">
        <DeploymentStatusBadge status={deployment.status} live={deployment.live} />
        {deployment.rollbackReason && (
          <p className="mt-1 max-w-xs text-xs text-red-700" title={deployment.rollbackReason}>
            {deployment.rollbackReason}
          </p>
        )}
      </td>
      <td className="px-3 py-2">
        <Link href={href} className="font-medium text-slate-900 hover:text-indigo-700 hover:underline">
          {deployment.repository} #{deployment.pullRequest.number}
        </Link>
        <div className="line-clamp-1 text-xs text-slate-500">{deployment.pullRequest.title}</div>
        {deployment.run.simulated && <span className="rounded bg-violet-100 px-1.5 py-0.5 text-xs text-violet-800">simulated</span>}
      </td>
      <td className="px-3 py-2 capitalize">{deployment.environment}</td>
      <td className="px-3 py-2 text-slate-600">
        {deployment.strategy}
        <div className="text-xs text-slate-500">{deployment.target}</div>
      </td>
      <td className="px-3 py-2 text-right tabular-nums">{deployment.trafficPercent}%</td>
      <td className="px-3 py-2 text-slate-600">{formatClock(deployment.startedAt)}</td>
      <td className="px-3 py-2 text-slate-600">
        {deployment.finishedAt ? formatClock(deployment.finishedAt) : <span className="text-indigo-700">running</span>}
        <div className="text-xs text-slate-500">{formatSpan(ended - started)}</div>
      </td>
      <td className="px-3 py-2">
        <Link href={`/runs/${deployment.run.id}`} className="text-indigo-700 hover:underline" data-testid="run-link">
          run
        </Link>
        <div className="text-xs text-slate-500">{label(deployment.run.status)}</div>
      </td>
    </tr>
  );
}

/** Deployments, newest first, filtered by environment, status and repository; live while any runs. */
export function DeploymentList({ initialFilters }: { initialFilters: DeploymentFilters }) {
  const [filters, setFiltersState] = useState(initialFilters);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    // Running deployments' durations keep counting between polls.
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const query = useInfiniteQuery({
    queryKey: ["deployments", filters],
    queryFn: ({ pageParam }) => fetchJson<DeploymentListPage>(`/api/v1/deployments?${filterParams(filters, pageParam)}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    refetchInterval: (q) => (q.state.data?.pages.some((page) => page.deployments.some((d) => d.live)) ? LIVE_POLL_MS : IDLE_POLL_MS),
    placeholderData: keepPreviousData,
  });

  const setFilters = (next: DeploymentFilters) => {
    setFiltersState(next);
    // In the address, so "back" from a deployment returns to the same view.
    const params = filterParams(next).toString();
    window.history.replaceState(null, "", params ? `?${params}` : window.location.pathname);
  };
  const filtered = Object.values(filters).some(Boolean);
  const deployments = query.data?.pages.flatMap((page) => page.deployments) ?? [];
  const repositories = query.data?.pages[0]?.repositories ?? [];

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <Select name="Environment" value={filters.environment} options={environments} onChange={(environment) => setFilters({ ...filters, environment })} />
        <Select name="Status" value={filters.status} options={[...deploymentStatuses, "live"]} onChange={(status) => setFilters({ ...filters, status })} />
        <Select name="Repository" value={filters.repository} options={repositories} onChange={(repository) => setFilters({ ...filters, repository })} />
        <span className="ml-auto text-xs text-slate-500" aria-live="polite">
          {query.isError ? `Could not refresh: ${query.error.message}` : `${deployments.length}${query.hasNextPage ? "+" : ""} deployments`}
        </span>
      </div>

      {query.isLoading && <p className="text-sm text-slate-500">Loading deployments…</p>}
      {query.isError && !query.data && (
        <div role="alert" className="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
          Could not load deployments: {query.error.message}
        </div>
      )}
      {query.data && deployments.length === 0 && !filtered && (
        <EmptyState title="No deployments yet">
          Runs reach deployment after review, test, staging and validation pass; see the demo PRs on the{" "}
          <Link href="/board" className="text-indigo-700 hover:underline">
            Board
          </Link>
          . Each staging deploy and production canary will show here, with its metrics, verdicts and any rollback.
        </EmptyState>
      )}
      {query.data && deployments.length === 0 && filtered && (
        <EmptyState title="No deployments match these filters">
          <button className="text-indigo-700 hover:underline" onClick={() => setFilters({ environment: "", status: "", repository: "" })}>
            Clear the filters
          </button>{" "}
          to see every deployment.
        </EmptyState>
      )}
      {deployments.length > 0 && (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full text-sm" data-testid="deployment-table">
            <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
              <tr>
                <th className="px-3 py-2">Status</th>
                <th className="px-3 py-2">Pull request</th>
                <th className="px-3 py-2">Environment</th>
                <th className="px-3 py-2">Strategy</th>
                <th className="px-3 py-2 text-right">Weight</th>
                <th className="px-3 py-2">Started</th>
                <th className="px-3 py-2">Finished</th>
                <th className="px-3 py-2">Run</th>
              </tr>
            </thead>
            <tbody>
              {deployments.map((deployment) => (
                <Row key={deployment.id} deployment={deployment} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {query.hasNextPage && (
        <button
          className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-50 disabled:opacity-50"
          disabled={query.isFetchingNextPage}
          onClick={() => query.fetchNextPage()}
        >
          {query.isFetchingNextPage ? "Loading…" : "Older deployments"}
        </button>
      )}
    </div>
  );
}
