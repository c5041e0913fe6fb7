import fs from "node:fs";
import path from "node:path";

/**
 * Kernel-enforced limits for one sandboxed command, from cgroup v1 controllers (memory, pids), which
 * the kernel enforces for every process of the command however it forks. Used when this process
 * may create cgroups (root, with the controllers mounted, as on these machines); otherwise the
 * sandbox falls back to rlimits and sampling (see run-sandboxed.ts). The cgroups are made under
 * this process's own, so a container's limits still apply above them.
 */
export interface CommandCgroup {
  /** The cgroup.procs files a wrapper writes its own pid to before it execs the sandbox. */
  procsFiles: string[];
  peakMemoryBytes(): number;
  /** Processes the kernel's OOM killer killed in this cgroup. */
  oomKills(): number;
  /** SIGKILL to every process left in the cgroup. */
  killAll(): void;
  remove(): Promise<void>;
}

const ROOT = "/sys/fs/cgroup";
const CONTROLLERS = ["memory", "pids"] as const;
type Controller = (typeof CONTROLLERS)[number];

let parents: Record<Controller, string> | null | undefined;

/** The directories new cgroups go under, or null when this process cannot create them. */
export function cgroupParents(): Record<Controller, string> | null {
  if (parents !== undefined) return parents;
  parents = null;
  if (process.platform !== "linux" || process.getuid?.() !== 0) return parents;
  try {
    const own = Object.fromEntries(
      fs
        .readFileSync("/proc/self/cgroup", "utf8")
        .split("\n")
        .map((line) => line.split(":"))
        .filter((f) => f.length === 3)
        .flatMap(([, controllers, where]) => controllers.split(",").map((c) => [c, where])),
    ) as Record<string, string>;
    const found = {} as Record<Controller, string>;
    for (const controller of CONTROLLERS) {
      const mount = path.join(ROOT, controller);
      if (!fs.existsSync(path.join(mount, "cgroup.procs")) || own[controller] === undefined) return parents;
      const dir = path.join(mount, own[controller], "flowgate-sandbox");
      fs.mkdirSync(dir, { recursive: true });
      found[controller] = dir;
    }
    parents = found;
  } catch {
    parents = null;
  }
  return parents;
}

export function createCommandCgroup(name: string, limits: { memoryBytes: number; pids: number }): CommandCgroup | null {
  const base = cgroupParents();
  if (!base) return null;
  const dirs = { memory: path.join(base.memory, name), pids: path.join(base.pids, name) };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dirs.memory, "memory.limit_in_bytes"), String(limits.memoryBytes));
  // Swap counts too, where the kernel accounts it: a limit that can be swapped past is no limit.
  const memsw = path.join(dirs.memory, "memory.memsw.limit_in_bytes");
  if (fs.existsSync(memsw)) {
    try {
      fs.writeFileSync(memsw, String(limits.memoryBytes));
    } catch {
      // Swap accounting present but not settable (swapaccount=0): the memory limit alone applies.
    }
  }
  fs.writeFileSync(path.join(dirs.pids, "pids.max"), String(limits.pids));
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, "utf8");
    } catch {
      return "";
    }
  };
  const pidsIn = () =>
    new Set(
      Object.values(dirs)
        .flatMap((dir) => read(path.join(dir, "cgroup.procs")).split("\n"))
        .filter(Boolean)
        .map(Number),
    );
  const killAll = () => {
    for (let round = 0; round < 20; round++) {
      const pids = pidsIn();
      if (pids.size === 0) return;
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Gone already.
        }
      }
    }
  };
  return {
    procsFiles: Object.values(dirs).map((dir) => path.join(dir, "cgroup.procs")),
    peakMemoryBytes: () => Number(read(path.join(dirs.memory, "memory.max_usage_in_bytes")).trim()) || 0,
    oomKills: () => Number(/^oom_kill (\d+)$/m.exec(read(path.join(dirs.memory, "memory.oom_control")))?.[1] ?? 0),
    killAll,
    remove: async () => {
      killAll();
      for (const dir of Object.values(dirs)) {
        // A cgroup can be removed once its last process has been reaped; that takes a moment after SIGKILL.
        for (let tries = 0; tries < 50; tries++) {
          try {
            fs.rmdirSync(dir);
            break;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === "ENOENT") break;
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        }
      }
    },
  };
}
