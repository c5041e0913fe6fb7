import { metricDefinitions, type MetricKey } from "./definitions";
import { ratio, type PeriodStats } from "./report";

/** The headline numbers of one period, derived from its statistics. Null where undefined (0 ÷ 0). */
export interface HeadlineValues {
  leadTimeMeanHours: number | null;
  leadTimeMedianHours: number | null;
  leadTimeP90Hours: number | null;
  escalationRate: number | null;
  falseEscalationShare: number | null;
  rollbackRate: number | null;
  changeFailureRate: number | null;
  deploymentsPerDay: number | null;
  timeToRestoreMedianHours: number | null;
}

export function headlineValues(stats: PeriodStats, days: number): HeadlineValues {
  return {
    leadTimeMeanHours: stats.leadTime.meanHours,
    leadTimeMedianHours: stats.leadTime.medianHours,
    leadTimeP90Hours: stats.leadTime.p90Hours,
    escalationRate: ratio(stats.runsEscalated, stats.runsDecided),
    falseEscalationShare: ratio(stats.escalationsApproved, stats.escalationsDecided),
    rollbackRate: ratio(stats.rollbacks, stats.deployments),
    changeFailureRate: ratio(stats.changeFailures, stats.deployments),
    deploymentsPerDay: days > 0 ? stats.deploymentsPromoted / days : null,
    timeToRestoreMedianHours: stats.restore.medianHours,
  };
}

export interface HeadlineCard {
  key: MetricKey;
  label: string;
  value: number | null;
  previous: number | null;
  /** Relative change against the previous period (0.25 = 25% higher); null without both values. */
  change: number | null;
  /** Whether the change is good news, by the metric's direction; null without a change. */
  improved: boolean | null;
  unit: "hours" | "share" | "per_day";
  definition: string;
  fourKeys: string | null;
}

const cardValue: Record<MetricKey, { pick: (h: HeadlineValues) => number | null; unit: HeadlineCard["unit"] }> = {
  lead_time: { pick: (h) => h.leadTimeMeanHours, unit: "hours" },
  escalation_rate: { pick: (h) => h.escalationRate, unit: "share" },
  false_escalations: { pick: (h) => h.falseEscalationShare, unit: "share" },
  rollback_rate: { pick: (h) => h.rollbackRate, unit: "share" },
  change_failure_rate: { pick: (h) => h.changeFailureRate, unit: "share" },
  deployment_frequency: { pick: (h) => h.deploymentsPerDay, unit: "per_day" },
  time_to_restore: { pick: (h) => h.timeToRestoreMedianHours, unit: "hours" },
};

export function relativeChange(value: number | null, previous: number | null): number | null {
  if (value === null || previous === null || previous === 0) return null;
  return value / previous - 1;
}

/** One card per metric: this period's value, the previous period's, and the change. */
export function headlineCards(current: PeriodStats, previous: PeriodStats, days: number): HeadlineCard[] {
  const now = headlineValues(current, days);
  const before = headlineValues(previous, days);
  return (Object.keys(cardValue) as MetricKey[]).map((key) => {
    const value = cardValue[key].pick(now);
    const prior = cardValue[key].pick(before);
    const change = relativeChange(value, prior);
    const definition = metricDefinitions[key];
    return {
      key,
      label: definition.label,
      value,
      previous: prior,
      change,
      improved: change === null || change === 0 ? null : change > 0 === definition.higherIsBetter,
      unit: cardValue[key].unit,
      definition: definition.definition,
      fourKeys: definition.fourKeys,
    };
  });
}
