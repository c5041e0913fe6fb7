/**
 * Resident memory of the web server and the runners across the soak. Processes are killed and
 * restarted all the time, so "flat" compares like with like: the web server's samples (after a
 * minute of warm-up in each life) in the soak's first and last thirds, and the runners' peak per
 * life in those thirds. A leak shows as the last third well above the first.
 */
import type { ManagedProcess } from "./processes";
import { rssMb } from "./processes";
import type { MemoryVerdict } from "./invariants";

interface Sample {
  role: "web" | "runner";
  life: string;
  atMs: number;
  ageMs: number;
  mb: number;
}

/** Above this ratio (last third / first third) memory is not flat. */
const GROWTH_LIMIT = 1.5;
/** Samples of a web server younger than this are start-up, not steady state (shorter in short soaks). */
const WARM_UP_MS = 60_000;

export function startMemorySampler(processes: () => ManagedProcess[], soakStart: number) {
  const samples: Sample[] = [];
  const bornAt = new Map<string, number>();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const p of processes()) {
      if (!p.alive() || !p.child?.pid) continue;
      const life = `${p.name}#${p.starts}`;
      if (!bornAt.has(life)) bornAt.set(life, now);
      const mb = rssMb(p.child.pid);
      if (mb !== null) samples.push({ role: p.name === "web" ? "web" : "runner", life, atMs: now - soakStart, ageMs: now - bornAt.get(life)!, mb });
    }
  }, 5000);
  return {
    stop: () => clearInterval(timer),
    verdict(soakMs: number): MemoryVerdict {
      const third = soakMs / 3;
      const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
      const warmUp = Math.min(WARM_UP_MS, soakMs / 10);
      const web = samples.filter((s) => s.role === "web" && s.ageMs >= warmUp);
      const webFirst = median(web.filter((s) => s.atMs < third).map((s) => s.mb));
      const webLast = median(web.filter((s) => s.atMs >= 2 * third && s.atMs <= soakMs).map((s) => s.mb));
      const peaks = new Map<string, { atMs: number; mb: number }>();
      for (const s of samples.filter((x) => x.role === "runner")) {
        const peak = peaks.get(s.life);
        if (!peak || s.mb > peak.mb) peaks.set(s.life, { atMs: s.atMs, mb: s.mb });
      }
      const runnerFirst = median([...peaks.values()].filter((p) => p.atMs < third).map((p) => p.mb));
      const runnerLast = median([...peaks.values()].filter((p) => p.atMs >= 2 * third && p.atMs <= soakMs).map((p) => p.mb));
      const longest = Math.max(0, ...samples.filter((s) => s.role === "runner").map((s) => s.ageMs));
      const violations: string[] = [];
      for (const [role, first, last] of [["web server", webFirst, webLast], ["runner", runnerFirst, runnerLast]] as const) {
        if (Number.isNaN(first) || Number.isNaN(last)) violations.push(`${role}: too few samples to compare (first third ${first}, last third ${last})`);
        else if (last > first * GROWTH_LIMIT) violations.push(`${role}: ${first.toFixed(0)} MB in the first third, ${last.toFixed(0)} MB in the last (over ×${GROWTH_LIMIT})`);
      }
      return {
        counted: `${samples.length} samples; web ${webFirst.toFixed(0)} → ${webLast.toFixed(0)} MB (median, first → last third), runner peak per life ${runnerFirst.toFixed(0)} → ${runnerLast.toFixed(0)} MB over ${peaks.size} lives (longest ${Math.round(longest / 1000)} s)`,
        violations,
      };
    },
  };
}
