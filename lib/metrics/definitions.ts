/**
 * What each number on the metrics page means, shown next to it and returned by the API. The
 * longer record, with the reasons, is docs/decisions/008-metrics-definitions.md.
 */
export const metricKeys = [
  "lead_time",
  "escalation_rate",
  "false_escalations",
  "rollback_rate",
  "change_failure_rate",
  "deployment_frequency",
  "time_to_restore",
] as const;
export type MetricKey = (typeof metricKeys)[number];

export interface MetricDefinition {
  label: string;
  definition: string;
  /** How it relates to the DORA Four Keys project's definition, or null for metrics it lacks. */
  fourKeys: string | null;
  /** Whether a rise is good news (true), bad news (false). */
  higherIsBetter: boolean;
}

export const metricDefinitions: Record<MetricKey, MetricDefinition> = {
  lead_time: {
    label: "PR-to-production lead time",
    definition:
      "For each successful production deployment started in the period: from the pull request's first commit (as the code host reports it; the pull request's opening when there is none, or when it was opened earlier) to the deployment completing (canary promoted). Mean, median and 90th percentile (linear interpolation, as PostgreSQL's percentile_cont).",
    fourKeys:
      "Four Keys measures from each commit's time to its deployment and reports the median. Flowgate starts at the pull request's first commit, the earliest of its commits, so its figures are the longest lead time of each change; pull requests submitted through the API (no code host) start at their opening.",
    higherIsBetter: false,
  },
  escalation_rate: {
    label: "Human review rate",
    definition:
      "Runs started in the period that were escalated to a person at least once, as a share of runs started in the period that have a verdict (an agent passed, failed, rolled back or escalated them). Runs still in their first stage count in neither, and a run escalated later still counts in the period it started.",
    fourKeys: null,
    higherIsBetter: false,
  },
  false_escalations: {
    label: "False escalations",
    definition:
      "Escalations decided in the period that a reviewer approved without changes, as a share of all escalations decided in the period (approved, rejected or changes requested). Escalations cancelled because a newer head superseded the run are not decisions and are left out.",
    fourKeys: null,
    higherIsBetter: false,
  },
  rollback_rate: {
    label: "Autonomous rollback rate",
    definition: "Production deployments started in the period that the deployment agent rolled back, as a share of all finished production deployments started in the period (promoted, rolled back or failed).",
    fourKeys: null,
    higherIsBetter: false,
  },
  change_failure_rate: {
    label: "Change failure rate",
    definition:
      "Production deployments started in the period that were rolled back or carry an incident report, as a share of all finished production deployments started in the period. Deployments still under way count in neither.",
    fourKeys:
      "Four Keys counts deployments linked to an incident through the incident's root-cause commit. Flowgate links the incident report to the deployment itself, and also counts an automatic rollback as a failure when no incident was opened.",
    higherIsBetter: false,
  },
  deployment_frequency: {
    label: "Deployment frequency",
    definition: "Successful production deployments (canary promoted) started in the period, per day of the period.",
    fourKeys:
      "Four Keys shows the same count and classifies it as daily, weekly or monthly by whether most days, weeks or months had a deployment. Flowgate shows the mean per day and the trend instead.",
    higherIsBetter: true,
  },
  time_to_restore: {
    label: "Time to restore",
    definition:
      "Median, over the change failures started in the period, of the time from the failed deployment's start until production was restored: the rollback finishing, or else the next successful production deployment of the same repository finishing. Failures not yet restored are counted separately.",
    fourKeys:
      "Four Keys takes the median from an incident's creation to its resolution. Flowgate starts at the failed deployment's start, so detection time is included, and ends when production runs a good version again.",
    higherIsBetter: false,
  },
};

export const stageTimeDefinition =
  "Per stage, over attempts queued in the period: waiting in the queue (queued until an agent started, or until cancelled), agent work (started to finished), and waiting for a person (an escalation raised at that stage until it was decided or cancelled). Shown as hours per run that had an attempt of the stage. Work still under way appears once it ends.";

export const falseEscalationSource =
  "The source case study tuned this from 34% false escalations in its first week; its human review rate settled at 11%.";
