/**
 * The real processes of a soak: PostgreSQL (embedded, or an external server restarted with a
 * command), the web server (`next start` from a production build) and runner processes
 * (`agents/runner.ts`), each started, SIGKILLed and restarted for real. Their output goes to log
 * files in the soak's directory; their resident memory is sampled for the "memory flat" check.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../../lib/db/embedded";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..", "..");

export interface SoakDatabase {
  /** Direct URL (not through the proxy): the harness's own checks and set-up use it. */
  url: string;
  port: number;
  host: string;
  restart(): Promise<void>;
  /** Stops the embedded server; drops the soak's database of an external one unless `keep`. */
  close(keep: boolean): Promise<void>;
}

/** An embedded PostgreSQL in the soak's directory, restarted on the same port (`pg_ctl stop -m fast`). */
export async function embeddedSoakDatabase(dataDir: string): Promise<SoakDatabase> {
  let server: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir });
  const port = server.port;
  return {
    url: server.databaseUrl,
    port,
    host: "127.0.0.1",
    async restart() {
      await server.stop();
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 1500));
      server = await startEmbeddedPostgres({ dataDir, port });
    },
    close: () => server.stop(),
  };
}

/**
 * A fresh database of its own on an external server: `adminUrl` must be allowed to create
 * databases. A restart runs `restartCommand` (e.g. `pg_ctlcluster 15 main restart -m fast`), which
 * ends every connection of every client, as a real restart does.
 */
export async function externalSoakDatabase(adminUrl: string, restartCommand: string): Promise<SoakDatabase> {
  const name = `flowgate_chaos_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    port: Number(url.port || 5432),
    host: url.hostname,
    async restart() {
      await run("sh", ["-c", restartCommand]);
    },
    async close(keep: boolean) {
      if (keep) return;
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess | null;
  starts: number;
  kills: number;
  /** Exits nobody asked for (a crash): each is a finding, and the process is started again. */
  crashes: string[];
  start(): ChildProcess;
  sigkill(): Promise<void>;
  /** SIGTERM and wait; SIGKILL after 20 s. */
  stop(): Promise<number | null>;
  alive(): boolean;
}

/**
 * A process the soak restarts at will; its output is appended to `<logDir>/<name>.log`. Like a
 * supervisor (systemd's Restart=on-failure), it starts a process that exited on its own again after
 * a second, and keeps the exit as a crash for the report.
 */
export function managedProcess(options: { name: string; command: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv; logDir: string }): ManagedProcess {
  const logFile = path.join(options.logDir, `${options.name}.log`);
  /** The exit of the current child was asked for (SIGKILL or stop). */
  let expected = false;
  let stopped = false;
  const handle: ManagedProcess = {
    name: options.name,
    child: null,
    starts: 0,
    kills: 0,
    crashes: [],
    start() {
      const out = fs.openSync(logFile, "a");
      const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio: ["ignore", out, out] });
      fs.closeSync(out);
      expected = false;
      stopped = false;
      child.once("exit", (code, signal) => {
        if (expected || handle.child !== child) return;
        handle.crashes.push(`${options.name} (pid ${child.pid}) exited on its own with ${signal ?? `code ${code}`} at ${new Date().toISOString()}; see logs/${options.name}.log`);
        setTimeout(() => {
          if (!stopped && handle.child === child) handle.start();
        }, 1000);
      });
      handle.child = child;
      handle.starts++;
      return child;
    },
    alive: () => !!handle.child && handle.child.exitCode === null && handle.child.signalCode === null,
    async sigkill() {
      const child = handle.child;
      if (!child || !handle.alive()) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      expected = true;
      child.kill("SIGKILL");
      handle.kills++;
      await exited;
    },
    async stop() {
      stopped = true;
      const child = handle.child;
      if (!child || !handle.alive()) return child?.exitCode ?? null;
      expected = true;
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const code = await exited;
      clearTimeout(force);
      return code;
    },
  };
  return handle;
}

/** `agents/runner.ts`, as `npm run runner` starts it. */
export function runnerProcess(index: number, env: NodeJS.ProcessEnv, logDir: string): ManagedProcess {
  return managedProcess({
    name: `runner-${index}`,
    command: process.execPath,
    args: ["--import", "tsx", path.join(root, "agents", "runner.ts")],
    cwd: root,
    env: { ...env, FLOWGATE_SERVICE: `runner-${index}` },
    logDir,
  });
}

/**
 * The web server from a production build, as `npm start` runs it. `webRoot` is a checkout with a
 * current `next build` (this one by default; a copy when node_modules here is a symlink, which
 * `next build` refuses).
 */
export function webServerProcess(webRoot: string, port: number, env: NodeJS.ProcessEnv, logDir: string): ManagedProcess {
  return managedProcess({
    name: "web",
    command: path.join(webRoot, "node_modules", ".bin", "next"),
    args: ["start", "-p", String(port)],
    cwd: webRoot,
    env: { ...env, FLOWGATE_SERVICE: "web", NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    logDir,
  });
}

export async function waitForHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.status < 500)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not become healthy within ${timeoutMs / 1000} s`);
}

/** Resident memory of a process and its descendants (next start runs the server in a child), in MB. */
export function rssMb(pid: number): number | null {
  const pids = [pid, ...descendants(pid)];
  let kb = 0;
  for (const p of pids) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, "utf8"));
      if (match) kb += Number(match[1]);
    } catch {
      // exited meanwhile
    }
  }
  return kb > 0 ? kb / 1024 : null;
}

function descendants(pid: number): number[] {
  const found: number[] = [];
  let children: string;
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8");
  } catch {
    return found;
  }
  for (const child of children.split(/\s+/).filter(Boolean).map(Number)) found.push(child, ...descendants(child));
  return found;
}

/**
 * What sandboxed commands of this soak may have left behind: bubblewrap (or slirp4netns) processes
 * naming the soak's workspace root, and processes of the sandbox user that did not exist when the
 * soak began (`baseline`). Other work on the machine (another test run) is not counted.
 */
export async function sandboxLeftovers(workspaceRoot: string, sandboxUser: string, baseline: Set<number>): Promise<string[]> {
  const { stdout } = await run("ps", ["-eo", "pid,user:32,comm,args", "--no-headers"]);
  return stdout
    .split("\n")
    .filter((line) => line.trim())
    .filter((line) => {
      const [pid, owner, comm] = line.trim().split(/\s+/);
      if ((comm === "bwrap" || comm === "slirp4netns") && line.includes(workspaceRoot)) return true;
      return owner === sandboxUser && !baseline.has(Number(pid));
    });
}

/** The pids of the sandbox user's processes now (the baseline for sandboxLeftovers). */
export async function sandboxUserPids(sandboxUser: string): Promise<Set<number>> {
  const { stdout } = await run("ps", ["-eo", "pid,user:32", "--no-headers"]);
  return new Set(
    stdout
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter(([, owner]) => owner === sandboxUser)
      .map(([pid]) => Number(pid)),
  );
}
