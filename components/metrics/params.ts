/** The metrics page's filters, as they appear in its URL and in every API call it makes. */
export interface MetricsFilterState {
  period: string;
  bucket: string;
  repository: string;
  team: string;
  simulated: string;
}

export const defaultFilters: MetricsFilterState = { period: "30d", bucket: "", repository: "", team: "", simulated: "include" };

/** Only what differs from the defaults, in a fixed order, so server and client build the same key. */
export function metricsParams(filters: MetricsFilterState, extra: Record<string, string> = {}): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.period !== defaultFilters.period) params.set("period", filters.period);
  if (filters.bucket) params.set("bucket", filters.bucket);
  if (filters.repository) params.set("repository", filters.repository);
  if (filters.team) params.set("team", filters.team);
  if (filters.simulated !== defaultFilters.simulated) params.set("simulated", filters.simulated);
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  return params;
}

export function filtersFromParams(get: (key: string) => string | null | undefined): MetricsFilterState {
  return {
    period: get("period") || defaultFilters.period,
    bucket: get("bucket") || "",
    repository: get("repository") || "",
    team: get("team") || "",
    simulated: get("simulated") || defaultFilters.simulated,
  };
}

/** The page listing the runs behind a number, with the same filters. */
export function drillDownHref(filters: MetricsFilterState, set: string, extra: Record<string, string> = {}): string {
  return `/metrics/runs?${metricsParams(filters, { set, ...extra })}`;
}
