import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploySettingsSchema, type PrometheusSourceSettings } from "@/lib/repositories/deploy-settings";
import { neutralProfile } from "@/agents/targets/profile";
import { createPrometheusSource, MetricSourceError } from "@/agents/targets/prometheus-source";
import type { DeployContext, MetricPoint, MetricWindow } from "@/agents/targets/types";

/**
 * The Prometheus source against a real Prometheus (Debian's package) scraping a small service
 * that serves known traffic: per 20 ms tick, 19 baseline requests (every 500th fails) and 1 canary
 * request (every 25th fails), latencies spread evenly over (100, 200] ms and (300, 500] ms.
 */

const PROMETHEUS = process.env.PROMETHEUS_PATH || "/usr/bin/prometheus";
const CANARY_SHA = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432";
const BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5];
const TICK_MS = 20;
const RATE_WINDOW_SECONDS = 5;

interface CohortSpec {
  labels: Record<string, string>;
  perTick: number;
  /** Every n-th request fails (0: never, and no 5xx series is ever exposed). */
  failEvery: number;
  /** Latency in seconds of the i-th request. */
  latency: (i: number) => number;
}

// Evenly spread over [0, 1) (golden-ratio sequence), so histogram interpolation is accurate.
const spread = (i: number) => ((i + 1) * 0.6180339887498949) % 1;
const cohorts: Record<string, CohortSpec> = {
  canary: { labels: { cohort: "canary", version: CANARY_SHA }, perTick: 1, failEvery: 25, latency: (i) => 0.3 + 0.2 * (1 - spread(i)) },
  baseline: { labels: { cohort: "baseline", version: "stable" }, perTick: 19, failEvery: 500, latency: (i) => 0.1 + 0.1 * (1 - spread(i)) },
  quiet: { labels: { cohort: "quiet", version: "stable" }, perTick: 2, failEvery: 0, latency: (i) => 0.05 + 0.05 * (1 - spread(i)) },
  slow: { labels: { cohort: "slow", version: "stable" }, perTick: 1, failEvery: 0, latency: () => 3 },
};

class ServedCohort {
  requests = 0;
  errors = 0;
  latencies: number[] = [];
  buckets = BUCKETS.map(() => 0);
  sum = 0;
  constructor(readonly spec: CohortSpec) {}

  serve() {
    const latency = this.spec.latency(this.requests);
    this.requests++;
    if (this.spec.failEvery > 0 && this.requests % this.spec.failEvery === 0) this.errors++;
    this.latencies.push(latency);
    this.sum += latency;
    BUCKETS.forEach((le, i) => {
      if (latency <= le) this.buckets[i]++;
    });
  }

  exposition(): string {
    const labels = (extra: Record<string, string> = {}) =>
      Object.entries({ ...this.spec.labels, ...extra })
        .map(([k, v]) => `${k}="${v}"`)
        .join(",");
    const lines = [`http_requests_total{${labels({ code: "200" })}} ${this.requests - this.errors}`];
    if (this.spec.failEvery > 0) lines.push(`http_requests_total{${labels({ code: "500" })}} ${this.errors}`);
    BUCKETS.forEach((le, i) => lines.push(`http_request_duration_seconds_bucket{${labels({ le: String(le) })}} ${this.buckets[i]}`));
    lines.push(`http_request_duration_seconds_bucket{${labels({ le: "+Inf" })}} ${this.requests}`);
    lines.push(`http_request_duration_seconds_sum{${labels()}} ${this.sum}`, `http_request_duration_seconds_count{${labels()}} ${this.requests}`);
    return lines.join("\n");
  }

  p99Ms(): number {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.ceil(0.99 * sorted.length) - 1] * 1000;
  }
}

/** The test service: serves its traffic on a timer and exposes it at /metrics. */
async function startService() {
  const served = Object.fromEntries(Object.entries(cohorts).map(([name, spec]) => [name, new ServedCohort(spec)]));
  const history: { at: number; canary: number; baseline: number }[] = [];
  const timer = setInterval(() => {
    for (const cohort of Object.values(served)) for (let i = 0; i < cohort.spec.perTick; i++) cohort.serve();
    history.push({ at: Date.now(), canary: served.canary.requests, baseline: served.baseline.requests });
  }, TICK_MS);
  const server = http.createServer((req, res) => {
    if (req.url !== "/metrics") return void res.writeHead(404).end();
    const body = [
      "# HELP http_requests_total Requests served.",
      "# TYPE http_requests_total counter",
      "# HELP http_request_duration_seconds Request latency.",
      "# TYPE http_request_duration_seconds histogram",
      ...Object.values(served).map((c) => c.exposition()),
      "",
    ].join("\n");
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    served,
    /** Requests per second the service served to a cohort between two times, from its own log. */
    rate(cohort: "canary" | "baseline", from: number, to: number) {
      const first = history.find((h) => h.at >= from)!;
      const last = [...history].reverse().find((h) => h.at <= to)!;
      return ((last[cohort] - first[cohort]) * 1000) / (last.at - first.at);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, diagnostics: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}\n${diagnostics()}`);
}

describe("the Prometheus metric source against a real Prometheus", () => {
  let dir: string;
  let service: Awaited<ReturnType<typeof startService>>;
  let prometheus: ChildProcess;
  let prometheusLog = "";
  let baseUrl: string;

  const ctx: DeployContext = {
    runId: "run-prom",
    repository: "demo-shop",
    pullRequestNumber: 11,
    headSha: CANARY_SHA,
    environment: "production",
    variables: {},
    profile: neutralProfile,
    seed: 1,
  };
  const settings = (overrides: Record<string, unknown> = {}): PrometheusSourceSettings => {
    const parsed = deploySettingsSchema.parse({
      production: { target: { kind: "webhook", url: "http://127.0.0.1:1/", secret: "0123456789abcdef" }, metricSource: { kind: "prometheus", baseUrl, minRateWindowSeconds: RATE_WINDOW_SECONDS, ...overrides } },
    });
    return parsed.production.metricSource as PrometheusSourceSettings;
  };
  const lastSeconds = (seconds: number): MetricWindow => {
    const to = new Date(Math.floor(Date.now() / 1000) * 1000);
    return { from: new Date(to.getTime() - seconds * 1000), to, stepSeconds: 1, weight: 5 };
  };

  beforeAll(async () => {
    if (!fs.existsSync(PROMETHEUS)) {
      throw new Error(
        `Prometheus not found at ${PROMETHEUS}. The Prometheus metric source is tested against a real one:\n` +
          `  apt-get update && apt-get install -y --no-install-recommends prometheus     (Debian/Ubuntu)\n` +
          `or point PROMETHEUS_PATH at a prometheus binary.`,
      );
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-prometheus-"));
    service = await startService();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    fs.writeFileSync(
      path.join(dir, "prometheus.yml"),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: service\n    static_configs:\n      - targets: ["127.0.0.1:${service.port}"]\n`,
    );
    prometheus = spawn(PROMETHEUS, [`--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    prometheus.stdout!.on("data", (chunk: Buffer) => (prometheusLog += chunk));
    prometheus.stderr!.on("data", (chunk: Buffer) => (prometheusLog += chunk));
    const diagnostics = () => `prometheus exited: ${prometheus.exitCode}\n${prometheusLog.slice(-2000)}`;

    // The target must be up, then have been scraped often enough for a rate over RATE_WINDOW_SECONDS.
    await until(
      "the service's target to be up",
      async () => {
        const body = (await (await fetch(`${baseUrl}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string }[] } };
        return body.data.activeTargets.some((t) => t.health === "up") ? true : undefined;
      },
      60_000,
      diagnostics,
    );
    await until(
      "enough scrapes",
      async () => {
        const query = encodeURIComponent('count_over_time(up{job="service"}[30s])');
        const body = (await (await fetch(`${baseUrl}/api/v1/query?query=${query}`)).json()) as { data: { result: { value: [number, string] }[] } };
        return Number(body.data.result[0]?.value[1] ?? 0) >= RATE_WINDOW_SECONDS + 5 ? true : undefined;
      },
      60_000,
      diagnostics,
    );
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus.once("exit", resolve));
      prometheus.kill("SIGTERM");
      const timer = setTimeout(() => prometheus.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await service?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const mean = (points: MetricPoint[], field: keyof Omit<MetricPoint, "at">) => points.reduce((sum, p) => sum + p[field], 0) / points.length;

  it("reads canary and baseline as the service served them", async () => {
    const window = lastSeconds(4);
    const source = createPrometheusSource(settings({ canarySelector: 'version="{{headSha}}"', baselineSelector: 'cohort="baseline"' }));
    const { canary, baseline } = await source.read(ctx, window);

    // One point per step from start to end, as query_range evaluates.
    for (const series of [canary, baseline]) {
      expect(series.length).toBeGreaterThanOrEqual(4);
      expect(series.map((p) => p.at.getTime() % 1000)).toEqual(series.map(() => 0));
      expect(series.at(-1)!.at).toEqual(window.to);
    }

    // Error rate: every 25th canary request and every 500th baseline request failed.
    expect(mean(canary, "errorRate")).toBeGreaterThan(3);
    expect(mean(canary, "errorRate")).toBeLessThan(5);
    expect(mean(baseline, "errorRate")).toBeGreaterThan(0.15);
    expect(mean(baseline, "errorRate")).toBeLessThan(0.25);
    const servedCanary = (service.served.canary.errors / service.served.canary.requests) * 100;
    expect(Math.abs(mean(canary, "errorRate") - servedCanary)).toBeLessThan(1);

    // p99 from the histogram against the p99 of the latencies actually served.
    expect(mean(canary, "p99Ms") / service.served.canary.p99Ms()).toBeCloseTo(1, 1);
    expect(mean(baseline, "p99Ms") / service.served.baseline.p99Ms()).toBeCloseTo(1, 1);
    expect(Math.abs(mean(canary, "p99Ms") - 498)).toBeLessThan(10);
    expect(Math.abs(mean(baseline, "p99Ms") - 199)).toBeLessThan(5);

    // Requests per step (1 s) against the service's own count over the same span.
    const from = window.from.getTime() - RATE_WINDOW_SECONDS * 1000;
    const to = window.to.getTime();
    expect(mean(canary, "requests") / service.rate("canary", from, to)).toBeGreaterThan(0.8);
    expect(mean(canary, "requests") / service.rate("canary", from, to)).toBeLessThan(1.2);
    expect(mean(baseline, "requests") / service.rate("baseline", from, to)).toBeGreaterThan(0.8);
    expect(mean(baseline, "requests") / service.rate("baseline", from, to)).toBeLessThan(1.2);
    const share = mean(canary, "requests") / (mean(canary, "requests") + mean(baseline, "requests"));
    expect(share).toBeGreaterThan(0.04);
    expect(share).toBeLessThan(0.06);
  });

  it("reports 0% errors for a cohort that never failed, not a missing series", async () => {
    const { canary } = await createPrometheusSource(settings({ canarySelector: 'cohort="quiet"' })).read(ctx, lastSeconds(3));
    expect(canary.length).toBeGreaterThanOrEqual(3);
    expect(canary.every((p) => p.errorRate === 0 && p.requests > 0)).toBe(true);
    expect(mean(canary, "p99Ms")).toBeGreaterThan(90);
    expect(mean(canary, "p99Ms")).toBeLessThan(100);
  });

  it("gives an empty series for a selector that matches nothing", async () => {
    const series = await createPrometheusSource(settings({ canarySelector: 'cohort="absent"', baselineSelector: 'cohort="absent", version="{{repository}}"' })).read(ctx, lastSeconds(3));
    expect(series).toEqual({ canary: [], baseline: [] });
  });

  it("reads a p99 beyond the largest finite bucket as that bucket's bound, as Prometheus does", async () => {
    // The service answered in 3 s; histogram_quantile cannot see past le="2.5". Still far above
    // any rollback threshold, which is why the decision record asks for a bucket above it.
    const { canary } = await createPrometheusSource(settings({ canarySelector: 'cohort="slow"' })).read(ctx, lastSeconds(3));
    expect(canary.length).toBeGreaterThanOrEqual(3);
    expect(canary.every((p) => p.p99Ms === 2500)).toBe(true);
  });

  it("refuses an infinite value instead of dropping it", async () => {
    const source = createPrometheusSource(settings({ queries: { p99Ms: "sum(rate(http_requests_total{ {{selector}} }[{{window}}])) / 0" } }));
    await expect(source.read(ctx, lastSeconds(3))).rejects.toThrow(/p99Ms query for the (canary|baseline) is \+Inf at .*must give finite numbers/);
  });

  it("reports Prometheus's own error for a bad query", async () => {
    const source = createPrometheusSource(settings({ queries: { errorRate: "sum(rate(http_requests_total{ {{selector}} }[{{window}}])" } }));
    const failure = source.read(ctx, lastSeconds(3));
    await expect(failure).rejects.toBeInstanceOf(MetricSourceError);
    await expect(failure).rejects.toThrow(/errorRate query for the (canary|baseline) failed \(HTTP 400, bad_data\): .*parse error/);
  });

  it("refuses a template that returns more than one series", async () => {
    const source = createPrometheusSource(settings({ queries: { requests: "rate(http_requests_total{ {{selector}} }[{{window}}]) * {{step}}" } }));
    await expect(source.read(ctx, lastSeconds(3))).rejects.toThrow(/requests query for the (canary|baseline) returned 2 series; the template must aggregate/);
  });

  it("refuses a cohort with traffic but no latency data (a misspelt metric)", async () => {
    const source = createPrometheusSource(settings({ queries: { p99Ms: "1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_secs_bucket{ {{selector}} }[{{window}}])))" } }));
    await expect(source.read(ctx, lastSeconds(3))).rejects.toThrow(/p99Ms query for the (canary|baseline) returned no data while its requests query did/);
  });

  it("says so when Prometheus cannot be reached", async () => {
    const closed = await freePort();
    const source = createPrometheusSource({ ...settings(), baseUrl: `http://127.0.0.1:${closed}` });
    await expect(source.read(ctx, lastSeconds(3))).rejects.toThrow(/got no answer from Prometheus: .*ECONNREFUSED/);
  });
});
