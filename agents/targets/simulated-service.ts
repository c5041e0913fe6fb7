import { createHash } from "node:crypto";
import { SeededRandom } from "../../lib/simulation/random";
import type { PerformanceProfile } from "./profile";
import type { Environment, MetricPoint } from "./types";

/**
 * The service behind the simulated target: a baseline with realistic web latencies (log-normal,
 * median 120 ms, p99 about 450 ms) and a small error rate, and the candidate, which behaves as its
 * PerformanceProfile says. The numbers come from drawing every request, so a regression shows the
 * way it would in production: as a shifted distribution with noise, not as a constant.
 */

export const BASELINE_MEDIAN_MS = 120;
export const BASELINE_P99_MS = 450;
/** Percent of requests that fail on the baseline. */
export const BASELINE_ERROR_RATE = 0.1;
// z of the 99th percentile of the standard normal: p99 = median · e^(σ·z).
const Z_99 = 2.3263478740408408;
const LATENCY_SIGMA = Math.log(BASELINE_P99_MS / BASELINE_MEDIAN_MS) / Z_99;

/**
 * Production is a busy service, so that a 5% canary still serves enough requests in a 15-second
 * point for a stable p99 (at 50/s a neutral canary's per-point p99 is the maximum of ~37 requests
 * and crosses 800 ms in about half of all 10-minute canaries). Staging gets a load test's traffic.
 */
export const DEFAULT_REQUESTS_PER_SECOND: Record<Environment, number> = { staging: 100, production: 1000 };
/**
 * Staging runs on a smaller machine: its latencies are this much higher for the same code. The
 * staging agent divides staging latencies by the repository's adjustment factor (default 1.3 too)
 * before comparing them with production's.
 */
export const DEFAULT_CAPACITY_FACTOR: Record<Environment, number> = { staging: 1.3, production: 1 };

// Drawing every request keeps the model honest; this bound keeps a misconfiguration from hanging a runner.
const MAX_REQUESTS_PER_INTERVAL = 5_000_000;

export interface SimulateIntervalOptions {
  seed: number;
  intervalIndex: number;
  /** The virtual time the interval is reported at; the model never reads the clock. */
  at: Date;
  intervalSeconds: number;
  /** Candidate traffic share, percent 0–100. */
  weight: number;
  profile: PerformanceProfile;
  requestsPerSecond?: number;
  environment: Environment;
  /** Latency multiplier of the environment's machines; DEFAULT_CAPACITY_FACTOR when absent. */
  capacityFactor?: number;
}

/**
 * One interval of traffic. Requests arrive as a Poisson process around the rate; each goes to the
 * canary with probability weight/100, takes a log-normal latency (the canary's scaled by
 * profile.latencyFactor, both by the environment's capacity factor) and fails with probability
 * BASELINE_ERROR_RATE (+ profile.extraErrorRate for the canary). Deterministic for
 * (seed, intervalIndex, weight, rate): every request consumes the same random draws whatever its
 * cohort and profile, so two profiles on the same seed differ only by the profile's effect.
 * A cohort that served no request reports requests 0 with errorRate and p99Ms 0.
 */
export function simulateInterval(options: SimulateIntervalOptions): { canary: MetricPoint; baseline: MetricPoint } {
  const { weight, intervalSeconds, profile, environment } = options;
  if (!(weight >= 0 && weight <= 100)) throw new RangeError(`weight must be a percentage 0–100, got ${weight}`);
  if (!(intervalSeconds > 0)) throw new RangeError(`intervalSeconds must be positive, got ${intervalSeconds}`);
  const requestsPerSecond = options.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND[environment];
  const capacityFactor = options.capacityFactor ?? DEFAULT_CAPACITY_FACTOR[environment];
  const expected = requestsPerSecond * intervalSeconds;
  if (!(expected >= 0) || expected > MAX_REQUESTS_PER_INTERVAL) {
    throw new RangeError(`${requestsPerSecond} requests/s over ${intervalSeconds} s is outside the model's range (at most ${MAX_REQUESTS_PER_INTERVAL} requests per interval)`);
  }

  const random = new SeededRandom(mixSeed(options.seed, options.intervalIndex));
  const arrivals = poisson(random, expected);
  const canaryShare = weight / 100;
  const baselineErrorProbability = BASELINE_ERROR_RATE / 100;
  const canaryErrorProbability = Math.min(1, (BASELINE_ERROR_RATE + profile.extraErrorRate) / 100);

  const canary = new CohortTally(arrivals);
  const baseline = new CohortTally(arrivals);
  for (let i = 0; i < arrivals; i++) {
    // Always three uniforms per request (normal() takes two), whatever the cohort and profile.
    const toCanary = random.next() < canaryShare;
    const latencyMs = BASELINE_MEDIAN_MS * Math.exp(LATENCY_SIGMA * random.normal()) * capacityFactor;
    const failureDraw = random.next();
    if (toCanary) canary.add(latencyMs * profile.latencyFactor, failureDraw < canaryErrorProbability);
    else baseline.add(latencyMs, failureDraw < baselineErrorProbability);
  }
  return { canary: canary.point(options.at), baseline: baseline.point(options.at) };
}

/** A seed for DeployContext.seed: the same run and environment always simulate the same traffic. */
export function simulationSeed(runId: string, environment: Environment): number {
  return createHash("sha256").update(`${runId}:${environment}`).digest().readUInt32BE(0);
}

class CohortTally {
  private readonly latencies: Float64Array;
  private count = 0;
  private errors = 0;
  constructor(capacity: number) {
    this.latencies = new Float64Array(capacity);
  }

  add(latencyMs: number, failed: boolean) {
    this.latencies[this.count++] = latencyMs;
    if (failed) this.errors++;
  }

  point(at: Date): MetricPoint {
    if (this.count === 0) return { at, errorRate: 0, p99Ms: 0, requests: 0 };
    const sorted = this.latencies.subarray(0, this.count).sort();
    // Nearest rank: the smallest latency at or above which 1% of requests lie.
    const p99 = sorted[Math.ceil(0.99 * this.count) - 1];
    return { at, errorRate: (this.errors / this.count) * 100, p99Ms: Math.round(p99 * 10) / 10, requests: this.count };
  }
}

/** Neighbouring interval indexes must give unrelated streams: hash (seed, index) together. */
function mixSeed(seed: number, intervalIndex: number): number {
  let h = (seed ^ Math.imul(intervalIndex | 0, 0x9e3779b1) ^ Math.imul(Math.floor(intervalIndex / 2 ** 32), 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Knuth's method for small means, the normal approximation above 30 (error well under 1% there). */
function poisson(random: SeededRandom, mean: number): number {
  if (mean === 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * random.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  let product = random.next();
  while (product > limit) {
    k++;
    product *= random.next();
  }
  return k;
}
