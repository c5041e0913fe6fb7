import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";

export interface CommandResult {
  command: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  memoryExceeded: boolean;
  /** The highest resident memory of the command's process group seen while it ran. */
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

const DEFAULT_OUTPUT_CAP = 256 * 1024;
const TAIL_BYTES = 32 * 1024;
const MEMORY_SAMPLE_MS = 250;
const PAGE_BYTES = 4096;

/**
 * The environment a repository's commands see: enough to run a toolchain, nothing of Flowgate's
 * (no DATABASE_URL, NEXTAUTH_SECRET, ANTHROPIC_API_KEY or anything else from our process).
 */
export function scrubbedEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    TMPDIR: home,
    LANG: "C.UTF-8",
    TZ: "UTC",
    CI: "true",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    ...extra,
  };
}

/**
 * Runs a shell command in its own process group with a time and a memory limit. Either limit
 * kills the whole group (a test runner's workers included), so nothing outlives the stage.
 * Memory is enforced by sampling the group's resident memory: rlimits on address space break
 * V8 and the JVM, which reserve far more virtual memory than they use.
 */
export function runCommand(command: string, options: { cwd: string; env: Record<string, string> } & CommandLimits): Promise<CommandResult> {
  const cap = options.outputCapBytes ?? DEFAULT_OUTPUT_CAP;
  const started = performance.now();
  const child = spawn("/bin/sh", ["-c", command], { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const output = new CappedOutput(cap);
  child.stdout.on("data", (chunk: Buffer) => output.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => output.push(chunk));

  let timedOut = false;
  let memoryExceeded = false;
  let peakRss = 0;
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, options.timeLimitMs);
  const sampler = setInterval(() => {
    if (!child.pid) return;
    const rss = processGroupRss(child.pid);
    peakRss = Math.max(peakRss, rss);
    if (rss > options.memoryLimitMb * 1024 * 1024) {
      memoryExceeded = true;
      killGroup();
    }
  }, MEMORY_SAMPLE_MS);

  return new Promise((resolve, reject) => {
    child.on("error", (err) => {
      clearTimeout(timer);
      clearInterval(sampler);
      reject(err);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      // The shell may exit while a background grandchild still runs: the group goes with it.
      killGroup();
      const limitNote = timedOut
        ? `\n[flowgate: killed after the time limit of ${Math.round(options.timeLimitMs / 1000)} s]\n`
        : memoryExceeded
          ? `\n[flowgate: killed for exceeding the memory limit of ${options.memoryLimitMb} MB]\n`
          : "";
      resolve({
        command,
        exitCode,
        signal,
        timedOut,
        memoryExceeded,
        peakRssMb: Math.round(peakRss / (1024 * 1024)),
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

/** Resident memory of every process in a process group, from /proc (Linux). */
function processGroupRss(pgid: number): number {
  if (os.platform() !== "linux") return 0;
  let total = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name (which may contain spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      total += Number(fields[21]) * PAGE_BYTES;
    } catch {
      // The process ended between readdir and read.
    }
  }
  return total;
}
