"use client";

import Link from "next/link";
import { useEffect, useMemo, useState, type ReactNode } from "react";
import { timeDomain } from "@/lib/deployments/chart-series";
import type { DeploymentDetail } from "@/lib/deployments/load-deployment";
import { CanaryCharts } from "./canary-charts";
import { formatClock, formatNumber, formatSpan, label } from "./format";
import { IncidentReportView } from "./incident-report";
import { OutcomeSummary } from "./outcome-summary";
import { StagingComparison } from "./staging-comparison";
import { DeploymentStatusBadge } from "./status-badge";
import { StepsTimeline } from "./steps-timeline";
import { useDeployment } from "./use-deployment";

function Section({ title, id, children, aside }: { title: string; id: string; children: ReactNode; aside?: ReactNode }) {
  return (
    <section aria-labelledby={id}>
      <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
        <h2 id={id} className="text-lg font-semibold">
          {title}
        </h2>
        {aside}
      </div>
      {children}
    </section>
  );
}

/** While live, the time axis runs to now; it ticks once a second between polls. */
function useNow(live: boolean) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [live]);
  return now;
}

function Header({ detail, now }: { detail: DeploymentDetail; now: number }) {
  const { deployment, pullRequest, repository, run } = detail;
  const end = deployment.finishedAt ? Date.parse(deployment.finishedAt) : now;
  const siblings = detail.runDeployments.filter((d) => d.id !== deployment.id);
  return (
    <div>
      <Link href="/deployments" className="text-sm text-indigo-700 hover:underline">
        ← Deployments
      </Link>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight">
        {repository.name} #{pullRequest.number}: {pullRequest.title}
      </h1>
      <div className="mt-2 flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-slate-600">
        <DeploymentStatusBadge status={deployment.status} live={deployment.live} />
        <span className="capitalize">{deployment.environment}</span>
        <span>
          {deployment.strategy} on {deployment.target}
        </span>
        <span>{formatNumber(deployment.trafficPercent)}% of traffic</span>
        <span>
          started {formatClock(deployment.startedAt)}
          {deployment.finishedAt ? `, finished ${formatClock(deployment.finishedAt)}` : ""} ({formatSpan(end - Date.parse(deployment.startedAt))})
        </span>
        <span>by {pullRequest.author}</span>
        <Link href={`/runs/${run.id}`} className="text-indigo-700 hover:underline" data-testid="run-link">
          run ({label(run.status)})
        </Link>
        {deployment.live && <span className="text-xs text-indigo-700">live · updates every 2 s</span>}
      </div>
      {siblings.length > 0 && (
        <p className="mt-1 text-xs text-slate-500">
          Also in this run:{" "}
          {siblings.map((sibling, index) => (
            <span key={sibling.id}>
              {index > 0 && ", "}
              <Link href={`/deployments/${sibling.id}`} className="text-indigo-700 hover:underline">
                {sibling.environment} ({label(sibling.status)})
              </Link>
            </span>
          ))}
        </p>
      )}
    </div>
  );
}

export function DeploymentDetailView({ id }: { id: string }) {
  const query = useDeployment(id);
  const detail = query.data;
  const now = useNow(detail?.deployment.live ?? false);
  const domain = useMemo(
    () =>
      detail
        ? timeDomain({
            startedAt: detail.deployment.startedAt,
            finishedAt: detail.deployment.finishedAt,
            live: detail.deployment.live,
            now,
            sampleSpan: detail.display?.span ?? null,
            stepTimes: detail.steps.map((step) => step.at),
          })
        : null,
    [detail, now],
  );

  if (query.isLoading) return <p className="text-sm text-slate-500">Loading the deployment…</p>;
  if (!detail || !domain) {
    return (
      <div role="alert" className="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
        Could not load this deployment: {query.error?.message ?? "no data"}.{" "}
        <Link href="/deployments" className="underline">
          Back to the deployments
        </Link>
      </div>
    );
  }
  const { deployment, analysis, stagingComparison } = detail;
  const isCanary = deployment.environment === "production" || detail.sampleCount > 0;
  const stagingAnalysis = analysis.state === "ok" && analysis.value.kind === "staging" ? { state: "ok" as const, value: analysis.value } : null;

  return (
    <div className="space-y-8">
      <Header detail={detail} now={now} />
      {query.isError && <p className="text-xs text-amber-800">Could not refresh: {query.error.message}. Showing the last data received.</p>}
      <OutcomeSummary detail={detail} />
      {analysis.state === "unreadable" && (
        <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="analysis-unreadable">
          Unreadable analysis: {analysis.problems.join("; ")}
        </p>
      )}

      {isCanary && (
        <Section title={deployment.environment === "staging" ? "Candidate against baseline" : "Canary against baseline"} id="charts">
          {detail.display && <CanaryCharts detail={detail} rows={detail.display} domain={domain} />}
          {detail.outcome && (
            <p className="mt-2 text-sm" data-testid="outcome-marker-reason">
              <span className={`font-medium ${detail.outcome.kind === "rollback" ? "text-red-700" : "text-emerald-700"}`}>
                {detail.outcome.kind === "rollback" ? "Rolled back" : "Promoted"} at {formatClock(detail.outcome.at)}:
              </span>{" "}
              {detail.outcome.kind === "rollback" ? (deployment.rollbackReason ?? detail.outcome.summary) : detail.outcome.summary}
            </p>
          )}
        </Section>
      )}

      {stagingAnalysis && (
        <Section title="Staging comparison" id="staging">
          <StagingComparison analysis={stagingAnalysis} />
        </Section>
      )}
      {!stagingAnalysis && stagingComparison && (
        <Section
          title="Staging comparison"
          id="staging"
          aside={
            <Link href={`/deployments/${stagingComparison.deploymentId}`} className="text-sm text-indigo-700 hover:underline">
              staging deployment ({label(stagingComparison.status)}, {formatClock(stagingComparison.startedAt)})
            </Link>
          }
        >
          <StagingComparison analysis={stagingComparison.analysis} />
        </Section>
      )}

      {detail.incidentReport.state !== "absent" && (
        <Section title="Incident report" id="incident">
          <IncidentReportView parsed={detail.incidentReport} />
        </Section>
      )}

      <Section title="Steps" id="steps">
        <StepsTimeline steps={detail.steps} startedAt={deployment.startedAt} />
      </Section>
    </div>
  );
}
