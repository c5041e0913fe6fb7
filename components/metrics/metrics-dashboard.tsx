"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { usePathname } from "next/navigation";
import { useState } from "react";
import { Code } from "@/components/ui/empty-state";
import { fetchJson } from "@/components/ui/api";
import type { MetricsAnswer, MetricsFilterOptions } from "@/lib/metrics/load-metrics";
import { HeadlineCards } from "./headline-cards";
import { metricsParams, type MetricsFilterState } from "./params";
import { StageBreakdown } from "./stage-breakdown";
import { TrendCharts } from "./trend-charts";

const periods = [
  { value: "7d", label: "7 days" },
  { value: "30d", label: "30 days" },
  { value: "90d", label: "90 days" },
  { value: "210d", label: "210 days" },
];

const selectClass = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm";

export interface MetricsInitial {
  filters: MetricsFilterState;
  report: MetricsAnswer;
  options: MetricsFilterOptions;
}

/** The metrics page: filters kept in the URL, headline cards, trends, where the time goes, definitions. */
export function MetricsDashboard({ initial }: { initial: MetricsInitial }) {
  const pathname = usePathname();
  const [filters, setFilters] = useState(initial.filters);
  const params = metricsParams(filters).toString();
  const report = useQuery({
    queryKey: ["metrics", params],
    queryFn: () => fetchJson<MetricsAnswer>(`/api/v1/metrics?${params}`),
    initialData: params === metricsParams(initial.filters).toString() ? initial.report : undefined,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
  const options = useQuery({
    queryKey: ["metrics-filters"],
    queryFn: () => fetchJson<MetricsFilterOptions>("/api/v1/metrics/filters"),
    initialData: initial.options,
    staleTime: 60_000,
  });

  const change = (patch: Partial<MetricsFilterState>) => {
    const next = { ...filters, ...patch };
    setFilters(next);
    const query = metricsParams(next).toString();
    // The native history call (which the App Router follows) only changes the address: the query
    // above fetches the numbers. router.replace would render the whole page on the server again.
    window.history.replaceState(null, "", query ? `${pathname}?${query}` : pathname);
  };

  const data = report.data;
  const periodLabel = periods.find((p) => p.value === filters.period)?.label ?? `${data?.window.days ?? ""} days`;
  const simulatedRuns = options.data?.simulatedRuns ?? 0;

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-3 text-sm" role="group" aria-label="Metrics filters">
        <label className="flex items-center gap-2">
          Period
          <select aria-label="Period" value={filters.period} onChange={(e) => change({ period: e.target.value })} className={selectClass}>
            {periods.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-2">
          Buckets
          <select aria-label="Buckets" value={filters.bucket} onChange={(e) => change({ bucket: e.target.value })} className={selectClass}>
            <option value="">Automatic</option>
            <option value="day">Days</option>
            <option value="week">Weeks</option>
          </select>
        </label>
        <label className="flex items-center gap-2">
          Repository
          <select aria-label="Repository" value={filters.repository} onChange={(e) => change({ repository: e.target.value })} className={selectClass}>
            <option value="">All</option>
            {options.data?.repositories.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-2" title="Team by author group: the repository's settings.teams mapping, else the first label of the author's email domain">
          Team
          <select aria-label="Team" value={filters.team} onChange={(e) => change({ team: e.target.value })} className={selectClass}>
            <option value="">All</option>
            {options.data?.teams.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-2">
          Simulated runs
          <select aria-label="Simulated runs" value={filters.simulated} onChange={(e) => change({ simulated: e.target.value })} className={selectClass}>
            <option value="include">Included</option>
            <option value="exclude">Left out</option>
            <option value="only">Only</option>
          </select>
        </label>
        <a href={`/api/v1/metrics/export?${params}`} className="ml-auto rounded-md border border-slate-300 bg-white px-3 py-1 text-sm hover:bg-slate-50" download data-testid="export-csv">
          Export CSV
        </a>
        <span className="text-xs text-slate-500" aria-live="polite">
          {report.isError ? `Could not load: ${report.error.message}` : report.isFetching ? "Loading…" : ""}
        </span>
      </div>

      {simulatedRuns > 0 && (
        <p className="rounded-md border border-violet-200 bg-violet-50 px-3 py-2 text-sm text-violet-900" data-testid="simulated-note">
          {filters.simulated === "exclude" ? "Leaving out" : filters.simulated === "only" ? "Showing only" : "Including"} {simulatedRuns.toLocaleString("en")} simulated runs made by{" "}
          <Code>npm run ctl -- simulate-history</Code>; they are marked as simulated wherever they appear. Remove them with{" "}
          <Code>npm run ctl -- simulate-history --delete</Code>.
        </p>
      )}

      {data && (
        <>
          <p className="text-xs text-slate-500">
            {data.window.from.slice(0, 10)} to {new Date(Date.parse(data.window.to) - 1).toISOString().slice(0, 10)} (UTC), compared with the {data.window.days} days before.
          </p>
          <HeadlineCards cards={data.headline} current={data.current} filters={filters} periodLabel={periodLabel} />
          <TrendCharts report={data} filters={filters} />
          <StageBreakdown report={data} filters={filters} definition={data.definitions.stageTime} />
          <Definitions report={data} />
        </>
      )}
    </div>
  );
}

function Definitions({ report }: { report: MetricsAnswer }) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm" aria-labelledby="definitions-heading">
      <h2 id="definitions-heading" className="font-semibold text-slate-900">
        Definitions
      </h2>
      <p className="mt-1 text-xs text-slate-500">
        Times are UTC; weeks start on Monday. Where the DORA Four Keys project defines a metric, the difference is stated. More in
        docs/decisions/008-metrics-definitions.md.
      </p>
      <ol className="mt-3 space-y-3">
        {report.headline.map((card) => (
          <li key={card.key} id={`definition-${card.key}`} className="scroll-mt-20">
            <span className="font-medium text-slate-900">{card.label}.</span> <span className="text-slate-700">{card.definition}</span>
            {card.fourKeys && <span className="mt-0.5 block text-xs text-slate-500">Four Keys: {card.fourKeys}</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}
