import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "..");

/** A real runner process (`npm run runner`'s script) with the given environment on top of this one's; stderr is piped. */
export function spawnRunner(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", path.join(root, "agents", "runner.ts")], {
    cwd: root,
    env: { ...process.env, NEXTAUTH_SECRET: "s".repeat(40), FLOWGATE_RUNNER_LEASE_SECONDS: "3", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

/** Polls until the probe answers something truthy (errors count as not yet); throws after the timeout. */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => null);
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
