import type { MetricsReport } from "./report";

/** RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled. */
function field(value: string | number | null): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const rate = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/**
 * The displayed series as CSV: one row per bucket with the counts behind every rate (so a
 * spreadsheet can recompute them) and the derived values, then the stage times per bucket.
 */
export function seriesCsv(report: MetricsReport): string {
  const reasons = [...new Set(report.series.flatMap((b) => Object.keys(b.escalationReasons)))].sort();
  const header = [
    "bucket",
    "runs_started",
    "runs_decided",
    "runs_escalated",
    "escalation_rate",
    "escalations_decided",
    "escalations_approved",
    "false_escalation_share",
    "deployments",
    "deployments_promoted",
    "rollbacks",
    "rollback_rate",
    "change_failures",
    "change_failure_rate",
    "lead_time_count",
    "lead_time_mean_hours",
    "lead_time_median_hours",
    "lead_time_p90_hours",
    "restored",
    "unrestored",
    "time_to_restore_median_hours",
    ...reasons.map((reason) => `escalations_reason_${reason}`),
    ...report.stageTotals.flatMap((s) => [`${s.stage}_runs`, `${s.stage}_queue_hours`, `${s.stage}_agent_hours`, `${s.stage}_human_hours`]),
  ];
  const lines = [header.join(",")];
  report.series.forEach((b, index) => {
    const stageRow = report.stageSeries[index]?.stages ?? [];
    lines.push(
      [
        b.bucket,
        b.runsStarted,
        b.runsDecided,
        b.runsEscalated,
        rate(b.runsEscalated, b.runsDecided),
        b.escalationsDecided,
        b.escalationsApproved,
        rate(b.escalationsApproved, b.escalationsDecided),
        b.deployments,
        b.deploymentsPromoted,
        b.rollbacks,
        rate(b.rollbacks, b.deployments),
        b.changeFailures,
        rate(b.changeFailures, b.deployments),
        b.leadTime.count,
        b.leadTime.meanHours,
        b.leadTime.medianHours,
        b.leadTime.p90Hours,
        b.restore.restored,
        b.restore.unrestored,
        b.restore.medianHours,
        ...reasons.map((reason) => b.escalationReasons[reason] ?? 0),
        ...stageRow.flatMap((s) => [s.runs, s.queueHours, s.agentHours, s.humanHours]),
      ]
        .map(field)
        .join(","),
    );
  });
  return `${lines.join("\r\n")}\r\n`;
}
