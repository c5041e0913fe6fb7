/** Why a run needs a person: each reason carries the rule, and the value and threshold where there are some. */
export const escalationReasonCodes = [
  "high_risk",
  "api_break",
  "schema_change",
  "new_integration",
  "deleted_logic",
  "unreviewed_files",
  "model_requested_review",
  "coverage_gap",
  "tests_not_runnable",
  "staging_regression",
  "no_metric_data",
  "canary_inconclusive",
  "agent_error",
] as const;
export type EscalationReasonCode = (typeof escalationReasonCodes)[number];

export interface EscalationReason {
  code: EscalationReasonCode;
  /** Short label for the inbox, e.g. "risk 8 ≥ 7". */
  label: string;
  detail: string;
  value?: number | string;
  threshold?: number | string;
}
