import type { ReactNode } from "react";
import type { ParsedIncidentReport } from "@/lib/deployments/incident-report";
import { formatClock, formatMeasure, label, metricName } from "./format";

function Field({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div>
      <h4 className="text-xs font-semibold uppercase tracking-wide text-slate-500">{title}</h4>
      <div className="mt-1 text-sm text-slate-800">{children}</div>
    </div>
  );
}

/** The deployment agent's report after a rollback: what tripped, why it may have, who was told. */
export function IncidentReportView({ parsed }: { parsed: ParsedIncidentReport }) {
  if (parsed.state === "absent") return null;
  if (parsed.state === "unreadable") {
    return (
      <p className="text-sm text-amber-800" data-testid="incident-unreadable">
        The incident report is unreadable: {parsed.problems.join("; ")}
      </p>
    );
  }
  const { report, unreadableFields } = parsed;
  return (
    <article className="space-y-4 rounded-lg border border-red-200 bg-white p-4" data-testid="incident-report">
      <header className="flex flex-wrap items-start gap-2">
        <h3 className="text-base font-semibold text-slate-900">{report.title ?? "Incident report"}</h3>
        {report.provider && (
          <span className="ml-auto rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-600">
            {report.provider === "heuristic" ? "written by the heuristic (no LLM configured)" : `written by ${report.provider}`}
          </span>
        )}
      </header>
      {report.summary && <p className="text-sm text-slate-800">{report.summary}</p>}
      {report.trippedMetric && (
        <Field title="Tripped metric">
          <span className="font-medium text-red-700">
            {metricName(report.trippedMetric.name)} {formatMeasure(report.trippedMetric.value, report.trippedMetric.unit ?? null)}
          </span>{" "}
          against a limit of {formatMeasure(report.trippedMetric.threshold, report.trippedMetric.unit ?? null)}, at {formatClock(report.trippedMetric.at)}
        </Field>
      )}
      {report.hypothesis && <Field title="Hypothesis">{report.hypothesis}</Field>}
      {report.suspectFiles && report.suspectFiles.length > 0 && (
        <Field title="Suspect files">
          <ul className="space-y-0.5">
            {report.suspectFiles.map((file) => (
              <li key={file.path}>
                <code className="font-mono text-xs">{file.path}</code> <span className="text-slate-600">— {file.reason}</span>
              </li>
            ))}
          </ul>
        </Field>
      )}
      {report.timeline && report.timeline.length > 0 && (
        <Field title="Timeline">
          <ol className="space-y-0.5">
            {report.timeline.map((entry, index) => (
              <li key={index} className="flex gap-3">
                <span className="w-28 shrink-0 tabular-nums text-slate-500">{formatClock(entry.at)}</span>
                <span>{entry.event}</span>
              </li>
            ))}
          </ol>
        </Field>
      )}
      {report.notifications && report.notifications.length > 0 && (
        <Field title="Notifications">
          <ul className="flex flex-wrap gap-2">
            {report.notifications.map((notification, index) => (
              <li key={index} className="rounded bg-slate-100 px-2 py-0.5 text-xs">
                {notification.channel}: {label(notification.status)}
              </li>
            ))}
          </ul>
        </Field>
      )}
      {unreadableFields.length > 0 && <p className="text-xs text-amber-800">Unreadable fields left out: {unreadableFields.join(", ")}.</p>}
    </article>
  );
}
