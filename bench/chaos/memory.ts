/**
 * Resident memory of the web server and the runners across the soak. Processes are killed and
 * restarted all the time, so "flat" compares like with like: the web server's samples (after a
 * minute of warm-up in each life) in the soak's first and last thirds, and the same for the
 * memory witness, the one runner never SIGKILLed (it lives through the whole soak, its database
 * restarts and cuts, so a leak in the runner shows in it). The other runners live seconds each;
 * their peak per life is printed, not judged. A leak shows as the last third well above the first.
 */
import type { ManagedProcess } from "./processes";
import { rssMb } from "./processes";
import type { MemoryVerdict } from "./invariants";

interface Sample {
  role: "web" | "witness" | "runner";
  life: string;
  atMs: number;
  ageMs: number;
  mb: number;
}

/** Above this ratio (last third / first third) memory is not flat. */
const GROWTH_LIMIT = 1.5;
/** Samples of a web server younger than this are start-up, not steady state (shorter in short soaks). */
const WARM_UP_MS = 60_000;

export function startMemorySampler(processes: () => ManagedProcess[], witness: ManagedProcess, soakStart: number) {
  const samples: Sample[] = [];
  const bornAt = new Map<string, number>();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const p of processes()) {
      if (!p.alive() || !p.child?.pid) continue;
      const life = `${p.name}#${p.starts}`;
      if (!bornAt.has(life)) bornAt.set(life, now);
      const mb = rssMb(p.child.pid);
      if (mb !== null) samples.push({ role: p.name === "web" ? "web" : p === witness ? "witness" : "runner", life, atMs: now - soakStart, ageMs: now - bornAt.get(life)!, mb });
    }
  }, 5000);
  return {
    stop: () => clearInterval(timer),
    verdict(soakMs: number): MemoryVerdict {
      const third = soakMs / 3;
      const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
      const warmUp = Math.min(WARM_UP_MS, soakMs / 10);
      /** Median of a steady process's samples (after warm-up) in the first and the last third. */
      const steady = (role: Sample["role"]) => {
        const kept = samples.filter((s) => s.role === role && s.ageMs >= warmUp);
        return [median(kept.filter((s) => s.atMs < third).map((s) => s.mb)), median(kept.filter((s) => s.atMs >= 2 * third && s.atMs <= soakMs).map((s) => s.mb))] as const;
      };
      const [webFirst, webLast] = steady("web");
      const [witnessFirst, witnessLast] = steady("witness");
      const peaks = new Map<string, number>();
      for (const s of samples.filter((x) => x.role === "runner")) peaks.set(s.life, Math.max(peaks.get(s.life) ?? 0, s.mb));
      const longest = Math.max(0, ...samples.filter((s) => s.role === "runner").map((s) => s.ageMs));
      const violations: string[] = [];
      for (const [role, first, last] of [["web server", webFirst, webLast], ["runner (the witness)", witnessFirst, witnessLast]] as const) {
        if (Number.isNaN(first) || Number.isNaN(last)) violations.push(`${role}: too few samples to compare (first third ${first}, last third ${last})`);
        else if (last > first * GROWTH_LIMIT) violations.push(`${role}: ${first.toFixed(0)} MB in the first third, ${last.toFixed(0)} MB in the last (over ×${GROWTH_LIMIT})`);
      }
      return {
        counted: `${samples.length} samples; web ${webFirst.toFixed(0)} → ${webLast.toFixed(0)} MB, witness runner ${witnessFirst.toFixed(0)} → ${witnessLast.toFixed(0)} MB (medians, first → last third); killed runners' peak per life median ${median([...peaks.values()]).toFixed(0)} MB over ${peaks.size} lives (longest ${Math.round(longest / 1000)} s)`,
        violations,
      };
    },
  };
}
