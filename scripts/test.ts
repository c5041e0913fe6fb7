/**
 * `npm test`: the whole suite. Checks what the tests need (Chromium, Prometheus, the Prisma client, a current
 * build for the server and browser tests), type-checks, then runs vitest. Extra arguments go to
 * vitest, e.g. `npm test -- test/unit`.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ensureBuild, ensurePrismaClient, projectRoot, runTool } from "./lib/prepare";

const say = (line: string) => process.stdout.write(`[flowgate test] ${line}\n`);

function run(command: string, args: string[]) {
  return new Promise<number>((resolve) => {
    const child = spawn(command, args, { cwd: projectRoot, stdio: "inherit", env: process.env });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

async function main() {
  const chromium = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (!fs.existsSync(chromium)) {
    process.stderr.write(
      `flowgate test: Chromium not found at ${chromium}. The browser tests need it:\n` +
        `  apt-get update && apt-get install -y chromium     (Debian/Ubuntu)\n` +
        `or point CHROMIUM_PATH at a Chromium or Chrome binary.\n`,
    );
    process.exit(1);
  }
  const prometheus = process.env.PROMETHEUS_PATH || "/usr/bin/prometheus";
  if (!fs.existsSync(prometheus)) {
    process.stderr.write(
      `flowgate test: Prometheus not found at ${prometheus}. The metric source tests run a real one:\n` +
        `  apt-get update && apt-get install -y --no-install-recommends prometheus     (Debian/Ubuntu)\n` +
        `or point PROMETHEUS_PATH at a prometheus binary.\n`,
    );
    process.exit(1);
  }
  await ensurePrismaClient(say);
  say("type-checking");
  await runTool("tsc", ["--noEmit"], { onLine: (line) => process.stdout.write(`${line}\n`) });
  await ensureBuild(say);
  fs.rmSync(path.join(projectRoot, "test-results"), { recursive: true, force: true });
  say("running vitest");
  process.exit(await run(path.join(projectRoot, "node_modules", ".bin", "vitest"), ["run", ...process.argv.slice(2)]));
}

main().catch((err) => {
  process.stderr.write(`flowgate test: ${(err as Error).message}\n`);
  process.exit(1);
});
