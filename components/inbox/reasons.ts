import type { EscalationReasonCode } from "@/lib/pipeline/escalation-reasons";

/** What a reviewer calls each escalation reason; the codes are the API's. */
export const reasonNames: Record<EscalationReasonCode, string> = {
  high_risk: "High risk",
  api_break: "API break",
  schema_change: "Schema change",
  new_integration: "New service integration",
  deleted_logic: "Logic deleted",
  coverage_gap: "Coverage gap",
  tests_not_runnable: "Tests could not run",
  staging_regression: "Staging regression",
  no_metric_data: "No metric data",
  canary_inconclusive: "Canary inconclusive",
  agent_error: "Agent error",
  unreviewed_files: "Unreviewed files",
  model_requested_review: "Reviewer asked",
};

export function reasonName(code: string): string {
  return reasonNames[code as EscalationReasonCode] ?? code.replaceAll("_", " ");
}

/** The inbox's chip order: the most consequential reasons first. */
export const reasonOrder = Object.keys(reasonNames) as EscalationReasonCode[];

/** Badge colours: red for what can break production outright, amber for what needs a look. */
export function reasonTone(code: string): string {
  switch (code) {
    case "high_risk":
    case "staging_regression":
      return "bg-red-50 text-red-800 ring-red-200";
    case "api_break":
    case "schema_change":
      return "bg-violet-50 text-violet-800 ring-violet-200";
    case "agent_error":
    case "tests_not_runnable":
    case "unreviewed_files":
      return "bg-slate-100 text-slate-700 ring-slate-200";
    default:
      return "bg-amber-50 text-amber-800 ring-amber-200";
  }
}
