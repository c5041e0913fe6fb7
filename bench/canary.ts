/**
 * Canary evaluation cost: the time to evaluate one interval with 10,000 latency samples per
 * cohort (Mann-Whitney U, Hodges–Lehmann shift and interval over the 10⁸ pairwise differences,
 * score, hard thresholds: `evaluateInterval` as an agent calls it), next to sorting the same
 * samples in the same run, the floor any rank-based comparison pays. Prints figures; asserts
 * nothing. Run with `node --import tsx bench/canary.ts` (about 20 seconds; no database).
 *
 * The samples are seeded log-normal latencies (median 180 ms, σ 0.45 on the log scale, which puts
 * the p99 near 510 ms), the candidate 3% slower: a small regression, the case the statistics are
 * for. Evaluation and floor alternate repetition by repetition, so both see the same machine.
 */
import fs from "node:fs";
import os from "node:os";
import { evaluateInterval, type IntervalInput } from "../lib/canary/evaluate-interval";
import { hodgesLehmannSorted } from "../lib/canary/hodges-lehmann";
import { mannWhitneyPValue, rankSumSorted } from "../lib/canary/mann-whitney";
import { quantileSorted, sortFinite } from "../lib/canary/samples";
import { hardThresholdsFromPolicy } from "../lib/canary/thresholds";
import { defaultPolicyRules } from "../lib/policy/policy-rules";

const SAMPLES_PER_COHORT = 10_000;
const WARMUP = 5;
const REPETITIONS = 60;
const MEDIAN_MS = 180;
const LOG_SIGMA = 0.45;
const CANDIDATE_SLOWDOWN = 1.03;
const MS_PER_TICK = 10; // USER_HZ is 100 on Linux
const say = (line: string) => process.stdout.write(`${line}\n`);

/** Deterministic uniform numbers in (0, 1) (mulberry32), so every run measures the same data. */
function uniforms(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4_294_967_296;
  };
}

function logNormalLatencies(count: number, medianMs: number, seed: number) {
  const uniform = uniforms(seed);
  // Box–Muller: a standard normal from two uniforms.
  return Array.from({ length: count }, () => medianMs * Math.exp(LOG_SIGMA * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())));
}

function machineTicks() {
  const [, ...values] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const ticks = values.map(Number);
  const idle = ticks[3] + ticks[4];
  return { busy: ticks.slice(0, 8).reduce((a, b) => a + b, 0) - idle, total: ticks.slice(0, 8).reduce((a, b) => a + b, 0) };
}

interface Timing {
  wall: number[];
  cpu: number[];
}

function timed<T>(timing: Timing, work: () => T): T {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = work();
  timing.wall.push(performance.now() - started);
  const cpu = process.cpuUsage(cpuBefore);
  timing.cpu.push((cpu.user + cpu.system) / 1000);
  return result;
}

function percentile(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const newTiming = (): Timing => ({ wall: [], cpu: [] });

function main() {
  say(`generating ${SAMPLES_PER_COHORT} log-normal latencies per cohort (median ${MEDIAN_MS} ms, candidate ×${CANDIDATE_SLOWDOWN})`);
  const baseline = logNormalLatencies(SAMPLES_PER_COHORT, MEDIAN_MS, 1);
  const candidate = logNormalLatencies(SAMPLES_PER_COHORT, MEDIAN_MS * CANDIDATE_SLOWDOWN, 2);
  // The metric source reports the canary's request count, errors and p99 with the samples;
  // they are inputs of the evaluation, not part of it.
  const canaryP99 = quantileSorted(sortFinite(candidate).sorted, 0.99);
  const input: IntervalInput = {
    at: "2026-11-25T10:06:00.000Z",
    interval: { index: 5, startedAt: "2026-11-25T10:05:00.000Z", endedAt: "2026-11-25T10:06:00.000Z" },
    traffic: { canary: { requests: SAMPLES_PER_COHORT, errors: 12, p99LatencyMs: canaryP99 } },
    metrics: [{ spec: { name: "latency_ms", unit: "ms", direction: "increase_is_bad", tolerance: 0.1, critical: true }, baseline, candidate }],
    thresholds: hardThresholdsFromPolicy(defaultPolicyRules.deployment),
  };

  const evaluation = newTiming();
  const floor = newTiming();
  const parts = { sort: newTiming(), mannWhitney: newTiming(), hodgesLehmann: newTiming() };
  const machineBefore = machineTicks();
  const cpuBefore = process.cpuUsage();
  say(`timing ${REPETITIONS} repetitions after ${WARMUP} unmeasured ones (evaluation and sort alternate)`);
  let verdict = evaluateInterval(input);
  for (let rep = 0; rep < WARMUP + REPETITIONS; rep++) {
    const measured = rep >= WARMUP;
    const sink = measured ? evaluation : newTiming();
    verdict = timed(sink, () => evaluateInterval(input));
    timed(measured ? floor : newTiming(), () => {
      Float64Array.from(baseline).sort();
      Float64Array.from(candidate).sort();
    });
    // Where the evaluation's time goes, stage by stage on the same data.
    const part = (name: keyof typeof parts) => (measured ? parts[name] : newTiming());
    const [b, c] = timed(part("sort"), () => [sortFinite(baseline).sorted, sortFinite(candidate).sorted]);
    timed(part("mannWhitney"), () => mannWhitneyPValue(rankSumSorted(c, b), { alternative: "greater", method: "asymptotic" }));
    timed(part("hodgesLehmann"), () => hodgesLehmannSorted(c, b, { confidenceLevel: 0.98 }));
    if ((rep + 1) % 20 === 0) say(`  ${rep + 1}/${WARMUP + REPETITIONS}`);
  }
  const machineAfter = machineTicks();
  const ours = process.cpuUsage(cpuBefore);
  const busyMs = (machineAfter.busy - machineBefore.busy) * MS_PER_TICK;
  const totalMs = (machineAfter.total - machineBefore.total) * MS_PER_TICK;
  const othersShare = Math.max(0, busyMs - (ours.user + ours.system) / 1000) / totalMs;

  const metric = verdict.statistics.metrics[0];
  const line = (label: string, t: Timing) =>
    `${label.padEnd(44)} median ${percentile(t.wall, 50).toFixed(2).padStart(6)} ms   p95 ${percentile(t.wall, 95).toFixed(2).padStart(6)} ms   CPU median ${percentile(t.cpu, 50).toFixed(1).padStart(5)} ms`;
  say("");
  say(`canary interval evaluation, ${SAMPLES_PER_COHORT} samples per cohort (${os.cpus().length} cores, Node ${process.versions.node})`);
  say(line("evaluateInterval (MW + HL + score + thresholds)", evaluation));
  say(line("floor: sort both cohorts (Float64Array)", floor));
  say(
    `${"ratio evaluation / sort".padEnd(44)} ${(percentile(evaluation.wall, 50) / percentile(floor.wall, 50)).toFixed(1)}× (wall medians), ` +
      `${(percentile(evaluation.cpu, 50) / percentile(floor.cpu, 50)).toFixed(1)}× (CPU medians)`,
  );
  say("");
  say("the evaluation by stage:");
  say(line("  sortFinite both cohorts (NaN filter + sort)", parts.sort));
  say(line("  Mann-Whitney: rank merge + p-value", parts.mannWhitney));
  say(line("  Hodges–Lehmann: estimate + 98% interval", parts.hodgesLehmann));
  say("");
  say(
    `verdict ${verdict.verdict}: shift ${metric.shift!.toFixed(2)} ms, 98% CI ${metric.interval!.lower.toFixed(2)} to ${metric.interval!.upper.toFixed(2)} ms, ` +
      `one-sided p ${metric.pValue!.toExponential(2)}, allowed +${metric.allowedShift!.toFixed(1)} ms → ${metric.verdict}`,
  );
  say(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (the 10⁸ differences alone would take ${((SAMPLES_PER_COHORT ** 2 * 8) / 1024 ** 2).toFixed(0)} MB)`);
  const flag = othersShare > 0.05 ? "  (figures disturbed: rerun on a quiet machine)" : "";
  say(`other processes used ${(othersShare * 100).toFixed(0)}% of the machine during the measurement${flag}`);
}

main();
