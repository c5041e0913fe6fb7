/** The audit page's filters as the form and the address bar hold them: strings, "" when unset. */
export interface AuditFilters {
  from: string;
  to: string;
  repository: string;
  prNumber: string;
  runId: string;
  actorType: string;
  actor: string;
  action: string;
  decision: string;
  /** Start the list below this sequence number (a deep link to one event). */
  before: string;
}

export const filterKeys = ["from", "to", "repository", "prNumber", "runId", "actorType", "actor", "action", "decision", "before"] as const;

export const noFilters: AuditFilters = { from: "", to: "", repository: "", prNumber: "", runId: "", actorType: "", actor: "", action: "", decision: "", before: "" };

export const knownActions = [
  "run.submitted",
  "stage.decided",
  "stage.errored",
  "stage.retry_scheduled",
  "run.escalated",
  "escalation.*",
  "escalation.decided",
  "escalation.approval_recorded",
  "escalation.assigned",
  "escalation.sla_breached",
  "repository.registered",
  "policy.*",
  "user.created",
  "api_token.*",
  "notification_channel.*",
];

export const decisionOptions = ["approve", "reject", "request_changes", "pass", "escalate", "fail", "rollback", "error"];

export function hasFilters(filters: AuditFilters): boolean {
  return filterKeys.some((key) => filters[key] !== "");
}

/** The API's (and the address bar's) query string: only what is set. */
export function filterParams(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of filterKeys) if (filters[key]) params.set(key, filters[key]);
  return params;
}

export function filtersFrom(params: Record<string, string | string[] | undefined>): AuditFilters {
  const filters = { ...noFilters };
  for (const key of filterKeys) {
    const value = params[key];
    filters[key] = typeof value === "string" ? value : "";
  }
  return filters;
}

/** `<input type="datetime-local">` speaks local time without an offset; the API wants ISO with one. */
export function localInputToIso(value: string): string {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

export function isoToLocalInput(value: string): string {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
