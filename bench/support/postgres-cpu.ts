/**
 * CPU time spent by an embedded PostgreSQL, read from /proc (Linux): the postmaster's own time,
 * the time of its children that have exited (the kernel adds it to the postmaster's cutime and
 * cstime when it reaps them) and the time of the children still running. The difference of two
 * readings is what the server spent in between: a COPY's backend included, whether or not it has
 * exited yet.
 */
import fs from "node:fs";
import path from "node:path";

// Linux reports these in clock ticks; USER_HZ is 100 on every architecture Node supports.
const MS_PER_TICK = 10;

/** Milliseconds of CPU spent so far by the cluster in `clusterDir` (its postmaster and children). */
export function postgresCpuMs(clusterDir: string): number {
  const postmaster = Number(fs.readFileSync(path.join(clusterDir, "postmaster.pid"), "utf8").split("\n")[0]);
  let ticks = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = readStat(Number(entry));
    if (!fields) continue;
    // Field 4 is the parent pid; 14 and 15 user and system time; 16 and 17 those of reaped children.
    if (Number(entry) === postmaster) ticks += fields[14] + fields[15] + fields[16] + fields[17];
    else if (fields[4] === postmaster) ticks += fields[14] + fields[15];
  }
  return ticks * MS_PER_TICK;
}

/** /proc/<pid>/stat as numbers, indexed like proc(5) counts them (1-based); null if the process is gone. */
function readStat(pid: number): number[] | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: split after its end.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ").map(Number);
  return [0, pid, 0, ...rest];
}

/** Waits until the server's reading has settled: an ended COPY's backend may still be exiting. */
export async function settledPostgresCpuMs(clusterDir: string): Promise<number> {
  let before = postgresCpuMs(clusterDir);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = postgresCpuMs(clusterDir);
    if (after === before) return after;
    before = after;
  }
}
