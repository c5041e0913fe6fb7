"use client";

import Link from "next/link";
import type { HeadlineCard } from "@/lib/metrics/headline";
import type { PeriodStats } from "@/lib/metrics/report";
import { formatChange, formatHours, formatUnit } from "./format";
import { drillDownHref, type MetricsFilterState } from "./params";

/** For each card: what its number counts, and the set of runs the link opens. */
function basis(key: HeadlineCard["key"], stats: PeriodStats): { text: string; set: string } {
  switch (key) {
    case "lead_time":
      return { text: `median ${formatHours(stats.leadTime.medianHours)} · p90 ${formatHours(stats.leadTime.p90Hours)} · ${stats.leadTime.count} deployments`, set: "deployments_promoted" };
    case "escalation_rate":
      return { text: `${stats.runsEscalated} of ${stats.runsDecided} runs with a verdict`, set: "runs_escalated" };
    case "false_escalations":
      return { text: `${stats.escalationsApproved} of ${stats.escalationsDecided} decided escalations`, set: "escalations_approved" };
    case "rollback_rate":
      return { text: `${stats.rollbacks} of ${stats.deployments} production deployments`, set: "rollbacks" };
    case "change_failure_rate":
      return { text: `${stats.changeFailures} of ${stats.deployments} production deployments`, set: "change_failures" };
    case "deployment_frequency":
      return { text: `${stats.deploymentsPromoted} successful production deployments`, set: "deployments_promoted" };
    case "time_to_restore":
      return { text: `${stats.restore.restored} restored${stats.restore.unrestored ? `, ${stats.restore.unrestored} not yet` : ""}`, set: "change_failures" };
  }
}

export function HeadlineCards({ cards, current, filters, periodLabel }: { cards: HeadlineCard[]; current: PeriodStats; filters: MetricsFilterState; periodLabel: string }) {
  return (
    <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-4">
      {cards.map((card, index) => {
        const { text, set } = basis(card.key, current);
        const tone = card.improved === null ? "text-slate-500" : card.improved ? "text-emerald-700" : "text-red-700";
        return (
          <section key={card.key} data-testid={`metric-card-${card.key}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 className="flex items-start justify-between gap-2 text-sm font-medium text-slate-600">
              {card.label}
              <a href={`#definition-${card.key}`} title={card.definition} aria-label={`Definition of ${card.label}`} className="shrink-0 rounded-full px-1.5 text-xs text-slate-400 ring-1 ring-slate-200 hover:text-indigo-700">
                {index + 1}
              </a>
            </h2>
            <p className="mt-2 text-3xl font-semibold tracking-tight text-slate-900" data-testid="metric-value">
              {formatUnit(card.value, card.unit)}
            </p>
            <p className={`mt-1 text-xs ${tone}`} title={`Previous ${periodLabel}: ${formatUnit(card.previous, card.unit)}`}>
              {formatChange(card.change)} {card.change !== null && <span className="text-slate-500">vs previous {periodLabel} ({formatUnit(card.previous, card.unit)})</span>}
            </p>
            <Link href={drillDownHref(filters, set)} className="mt-2 block text-xs text-indigo-700 hover:underline" data-testid="metric-drill-down">
              {text} →
            </Link>
          </section>
        );
      })}
    </div>
  );
}
