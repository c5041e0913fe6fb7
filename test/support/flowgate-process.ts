import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { findFreePort } from "../../lib/db/embedded";

const root = path.resolve(import.meta.dirname, "..", "..");

export interface FlowgateProcess {
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A fresh data directory under this test run's folder (or .test-data for benchmarks). */
export function testDataDir(name: string) {
  const parent = process.env.FLOWGATE_TEST_RUN_DIR ?? path.join(root, ".test-data");
  const dir = path.join(parent, `${name}-${process.pid}-${Date.now()}`);
  fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}

/**
 * Runs `npm start`'s own script as a child process, exactly as a user would, on its own data
 * directory and port. Resolves once it reports ready (or rejects with its output if it exits).
 */
export async function startFlowgate(
  options: { dataDir?: string; port?: number; env?: Record<string, string>; asUser?: { uid: number; gid: number } } = {},
): Promise<FlowgateProcess> {
  const port = options.port ?? (await findFreePort());
  const dataDir = options.dataDir ?? testDataDir("flowgate");
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "start.ts")], {
    cwd: root,
    env: { ...process.env, PORT: String(port), FLOWGATE_DATA_DIR: dataDir, LOG_LEVEL: "warn", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.asUser ? { uid: options.asUser.uid, gid: options.asUser.gid } : {}),
  });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const handle: FlowgateProcess = {
    url: `http://localhost:${port}`,
    port,
    dataDir,
    child,
    output: () => output,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (output.includes("Flowgate is ready")) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`Flowgate exited with code ${code} before it was ready:\n${output}`));
    };
    const cleanup = () => {
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
    };
    child.stdout!.on("data", onData);
    child.on("exit", onExit);
  });
  return handle;
}

/** Runs a command to completion and returns its exit code and combined output. */
export function runScript(script: string, args: string[], env: Record<string, string>, input?: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", script), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(input ?? "");
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
