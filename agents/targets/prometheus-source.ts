import { z } from "zod";
import type { PrometheusSourceSettings } from "../../lib/repositories/deploy-settings";
import { fillTemplate, templateValues } from "./deploy-variables";
import type { CohortSeries, DeployContext, MetricPoint, MetricSource, MetricWindow } from "./types";

export class MetricSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MetricSourceError";
  }
}

type Cohort = "canary" | "baseline";
type Metric = "errorRate" | "p99Ms" | "requests";
const METRICS: Metric[] = ["errorRate", "p99Ms", "requests"];

// The HTTP API's envelope (https://prometheus.io/docs/prometheus/latest/querying/api/).
const queryRangeResponse = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("success"),
    data: z.object({
      resultType: z.string(),
      result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(z.tuple([z.number(), z.string()])) })),
    }),
  }),
  z.object({ status: z.literal("error"), errorType: z.string().optional(), error: z.string().optional() }),
]);

/**
 * PromQL over the Prometheus HTTP API: one query_range per metric and cohort, the templates
 * filled with the cohort's selector. Each query must come back as one series (aggregate it);
 * the three series of a cohort are joined by timestamp, and a timestamp missing one of them (a
 * 0/0 error rate when nothing was served) has no point. A failing query throws; an empty result
 * is an empty series. Nothing is ever filled in: no data must never read as "no errors".
 */
export function createPrometheusSource(settings: PrometheusSourceSettings, options: { fetchImpl?: typeof fetch } = {}): MetricSource {
  const fetchImpl = options.fetchImpl ?? fetch;
  return {
    kind: "prometheus",
    async read(ctx, window) {
      if (!(window.stepSeconds > 0)) throw new RangeError(`stepSeconds must be positive, got ${window.stepSeconds}`);
      const [canary, baseline] = await Promise.all((["canary", "baseline"] as const).map((cohort) => readCohort(cohort, ctx, window)));
      return { canary, baseline } satisfies CohortSeries;
    },
  };

  async function readCohort(cohort: Cohort, ctx: DeployContext, window: MetricWindow): Promise<MetricPoint[]> {
    // Values from the run go inside PromQL string literals: escape them as PromQL does.
    const selector = fillTemplate(cohort === "canary" ? settings.canarySelector : settings.baselineSelector, templateValues(ctx), promqlString);
    const rangeSeconds = Math.max(Math.ceil(window.stepSeconds), settings.minRateWindowSeconds);
    const values = { cohort, selector, window: `${rangeSeconds}s`, step: String(window.stepSeconds) };
    const series = await Promise.all(METRICS.map((metric) => queryRange(metric, cohort, fillTemplate(settings.queries[metric], values), window)));
    const byMetric = Object.fromEntries(METRICS.map((metric, i) => [metric, series[i]])) as Record<Metric, Map<number, number>>;

    // A cohort that served requests but has no latency (or error) data is a broken template,
    // e.g. a misspelt histogram name, not a healthy canary.
    const served = [...byMetric.requests.values()].some((count) => count > 0);
    for (const metric of ["errorRate", "p99Ms"] as const) {
      if (served && byMetric[metric].size === 0) throw new MetricSourceError(`the ${metric} query for the ${cohort} returned no data while its requests query did; check the template: ${fillTemplate(settings.queries[metric], values)}`);
    }
    const points: MetricPoint[] = [];
    for (const [seconds, requests] of [...byMetric.requests].sort((a, b) => a[0] - b[0])) {
      const errorRate = byMetric.errorRate.get(seconds);
      const p99Ms = byMetric.p99Ms.get(seconds);
      if (errorRate === undefined || p99Ms === undefined) continue;
      points.push({ at: new Date(seconds * 1000), errorRate, p99Ms, requests });
    }
    return points;
  }

  /** One query_range, as a map from the sample's unix time to its value; NaN samples (0/0) are absent. */
  async function queryRange(metric: Metric, cohort: Cohort, query: string, window: MetricWindow): Promise<Map<number, number>> {
    const url = new URL("api/v1/query_range", settings.baseUrl.endsWith("/") ? settings.baseUrl : `${settings.baseUrl}/`);
    url.searchParams.set("query", query);
    url.searchParams.set("start", String(window.from.getTime() / 1000));
    url.searchParams.set("end", String(window.to.getTime() / 1000));
    url.searchParams.set("step", String(window.stepSeconds));
    const what = `the ${metric} query for the ${cohort}`;

    let response: Response;
    try {
      response = await fetchImpl(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(settings.timeoutSeconds * 1000) });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new MetricSourceError(`${what} got no answer from Prometheus: ${timedOut ? `none within ${settings.timeoutSeconds} s` : `${(err as Error).message}${cause ? ` (${cause})` : ""}`}`);
    }
    const text = await response.text();
    let body: z.infer<typeof queryRangeResponse>;
    try {
      body = queryRangeResponse.parse(JSON.parse(text));
    } catch {
      throw new MetricSourceError(`${what}: Prometheus answered HTTP ${response.status} with something other than its API's JSON: ${text.slice(0, 200)}`);
    }
    if (body.status === "error") throw new MetricSourceError(`${what} failed (HTTP ${response.status}, ${body.errorType ?? "error"}): ${body.error ?? "no message"} — query: ${query}`);
    if (body.data.resultType !== "matrix") throw new MetricSourceError(`${what} returned a ${body.data.resultType}, not a range of samples — query: ${query}`);
    if (body.data.result.length > 1) {
      throw new MetricSourceError(`${what} returned ${body.data.result.length} series; the template must aggregate them into one (e.g. with sum(...)) — query: ${query}`);
    }

    const samples = new Map<number, number>();
    for (const [seconds, raw] of body.data.result[0]?.values ?? []) {
      // Prometheus writes infinities as "+Inf"/"-Inf", which Number() would read as NaN.
      const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
      if (Number.isNaN(value)) continue;
      // An infinite value cannot be compared or stored, and dropping it could hide a regression
      // (a hand-written quantile over an +Inf bucket, a division by a zero rate): stop the read.
      if (!Number.isFinite(value)) {
        throw new MetricSourceError(`${what} is ${raw} at ${new Date(seconds * 1000).toISOString()}; the template must give finite numbers — query: ${query}`);
      }
      samples.set(seconds, value);
    }
    return samples;
  }
}

/** The body of a PromQL double-quoted string: backslashes and quotes escaped, newlines too. */
function promqlString(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
