import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";

export interface CommandResult {
  command: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  memoryExceeded: boolean;
  /** Set when the command wrote more to disk than its limit allowed (sandboxed commands). */
  diskExceeded?: boolean;
  /** The highest memory of the command's processes seen while it ran. */
  peakRssMb: number;
  durationMs: number;
  /** stdout and stderr interleaved as they arrived; capped, with the cut stated inside it. */
  output: string;
  truncatedBytes: number;
}

export interface CommandLimits {
  timeLimitMs: number;
  memoryLimitMb: number;
  /** Output kept in full up to this size; beyond it the head and the tail are kept. */
  outputCapBytes?: number;
}

/** Something measured while a command runs; over its limit, the command is killed. */
export interface Meter {
  what: "memory" | "disk";
  limitBytes: number;
  everyMs: number;
  measure(pid: number): number | Promise<number>;
}

export interface SupervisedCommand {
  /** What the result names as the command. */
  command: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  timeLimitMs: number;
  outputCapBytes?: number;
  meters: Meter[];
  /** Extra pipes the caller talks to the process through (fd 3, 4 …). */
  extraPipes?: number;
  onSpawn?: (child: import("node:child_process").ChildProcess) => void;
  /** Kills whatever the process group does not contain (a sandbox's cgroup). */
  killRest?: () => void;
}

const DEFAULT_OUTPUT_CAP = 256 * 1024;
const TAIL_BYTES = 32 * 1024;
const MEMORY_SAMPLE_MS = 250;
const PAGE_BYTES = 4096;

/**
 * The environment a repository's commands see: enough to run a toolchain, nothing of Flowgate's
 * (no DATABASE_URL, NEXTAUTH_SECRET, ANTHROPIC_API_KEY or anything else from our process).
 */
export function scrubbedEnv(home: string, extra: Record<string, string> = {}, tmp = home): Record<string, string> {
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    TMPDIR: tmp,
    LANG: "C.UTF-8",
    TZ: "UTC",
    CI: "true",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    ...extra,
  };
}

/**
 * Runs one of the team's own shell commands (a deploy step, a smoke command) in its own process
 * group with a time and a memory limit. Either limit kills the whole group, so nothing outlives
 * the step. Memory is enforced by sampling the group's resident memory: rlimits on address space
 * break V8 and the JVM, which reserve far more virtual memory than they use. Pull-request code
 * never runs here: it runs through agents/sandbox.
 */
export function runCommand(command: string, options: { cwd: string; env: Record<string, string> } & CommandLimits): Promise<CommandResult> {
  return superviseCommand({
    command,
    argv: ["/bin/sh", "-c", command],
    cwd: options.cwd,
    env: options.env,
    timeLimitMs: options.timeLimitMs,
    outputCapBytes: options.outputCapBytes,
    meters: [{ what: "memory", limitBytes: options.memoryLimitMb * 1024 * 1024, everyMs: MEMORY_SAMPLE_MS, measure: processGroupRss }],
  });
}

/**
 * Runs a process as a new process group, captures its output (capped), and kills the group when
 * the time limit passes or a meter goes over its limit. Resolves when the process has exited.
 */
export function superviseCommand(spec: SupervisedCommand): Promise<CommandResult> {
  const cap = spec.outputCapBytes ?? DEFAULT_OUTPUT_CAP;
  const started = performance.now();
  const stdio = ["ignore", "pipe", "pipe", ...Array.from({ length: spec.extraPipes ?? 0 }, () => "pipe" as const)] as ("ignore" | "pipe")[];
  const child = spawn(spec.argv[0], spec.argv.slice(1), { cwd: spec.cwd, env: spec.env as NodeJS.ProcessEnv, detached: true, stdio });
  const output = new CappedOutput(cap);
  child.stdout!.on("data", (chunk: Buffer) => output.push(chunk));
  child.stderr!.on("data", (chunk: Buffer) => output.push(chunk));
  spec.onSpawn?.(child);

  let timedOut = false;
  const exceeded = new Set<Meter["what"]>();
  const peak: Record<Meter["what"], number> = { memory: 0, disk: 0 };
  const kill = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    spec.killRest?.();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, spec.timeLimitMs);
  const samplers = spec.meters.map((meter) => {
    let busy = false;
    return setInterval(() => {
      if (!child.pid || busy) return;
      busy = true;
      Promise.resolve(meter.measure(child.pid))
        .then((value) => {
          peak[meter.what] = Math.max(peak[meter.what], value);
          if (value > meter.limitBytes) {
            exceeded.add(meter.what);
            kill();
          }
        })
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, meter.everyMs);
  });
  const stop = () => {
    clearTimeout(timer);
    for (const sampler of samplers) clearInterval(sampler);
  };

  return new Promise((resolve, reject) => {
    child.on("error", (err) => {
      stop();
      reject(err);
    });
    child.on("close", (exitCode, signal) => {
      stop();
      // The shell may exit while a background grandchild still runs: the group goes with it.
      kill();
      const memoryLimit = spec.meters.find((m) => m.what === "memory");
      const diskLimit = spec.meters.find((m) => m.what === "disk");
      const limitNote = timedOut
        ? `\n[flowgate: killed after the time limit of ${Math.round(spec.timeLimitMs / 1000)} s]\n`
        : exceeded.has("memory") && memoryLimit
          ? `\n[flowgate: killed for exceeding the memory limit of ${Math.round(memoryLimit.limitBytes / 1024 / 1024)} MB]\n`
          : exceeded.has("disk") && diskLimit
            ? `\n[flowgate: killed for writing more than the disk limit of ${Math.round(diskLimit.limitBytes / 1024 / 1024)} MB]\n`
            : "";
      resolve({
        command: spec.command,
        exitCode,
        signal,
        timedOut,
        memoryExceeded: exceeded.has("memory"),
        ...(diskLimit ? { diskExceeded: exceeded.has("disk") } : {}),
        peakRssMb: Math.round(peak.memory / (1024 * 1024)),
        durationMs: Math.round(performance.now() - started),
        output: output.text() + limitNote,
        truncatedBytes: output.droppedBytes,
      });
    });
  });
}

/** Keeps the head and the tail of a stream; what is dropped in between is counted and stated. */
class CappedOutput {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer = Buffer.alloc(0);
  droppedBytes = 0;
  constructor(private readonly cap: number) {}

  push(chunk: Buffer) {
    const headRoom = this.cap - TAIL_BYTES - this.headBytes;
    if (headRoom > 0) {
      const taken = chunk.subarray(0, headRoom);
      this.head.push(taken);
      this.headBytes += taken.length;
      chunk = chunk.subarray(taken.length);
    }
    if (chunk.length === 0) return;
    const joined = Buffer.concat([this.tail, chunk]);
    const keep = Math.min(joined.length, TAIL_BYTES);
    this.droppedBytes += joined.length - keep;
    this.tail = joined.subarray(joined.length - keep);
  }

  text(): string {
    const head = Buffer.concat(this.head).toString("utf8");
    const tail = this.tail.toString("utf8");
    if (this.droppedBytes === 0) return head + tail;
    return `${head}\n[flowgate: output truncated: ${this.droppedBytes} bytes omitted here; the first ${this.headBytes} and the last ${this.tail.length} bytes are kept]\n${tail}`;
  }
}

interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  rssBytes: number;
}

function readProcStats(): ProcStat[] {
  if (os.platform() !== "linux") return [];
  const stats: ProcStat[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name (which may contain spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      stats.push({ pid: Number(entry), ppid: Number(fields[1]), pgid: Number(fields[2]), rssBytes: Number(fields[21]) * PAGE_BYTES });
    } catch {
      // The process ended between readdir and read.
    }
  }
  return stats;
}

/** Resident memory of every process in a process group, from /proc (Linux). */
function processGroupRss(pgid: number): number {
  return readProcStats()
    .filter((p) => p.pgid === pgid)
    .reduce((sum, p) => sum + p.rssBytes, 0);
}

/** Resident memory of a process and all its descendants (they may have left its process group). */
export function processTreeRss(rootPid: number): number {
  const stats = readProcStats();
  const byPid = new Map(stats.map((p) => [p.pid, p]));
  const children = new Map<number, number[]>();
  for (const p of stats) {
    const siblings = children.get(p.ppid);
    if (siblings) siblings.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  let total = 0;
  const pending = [rootPid];
  const seen = new Set<number>();
  while (pending.length > 0) {
    const pid = pending.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    total += byPid.get(pid)?.rssBytes ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}
