/**
 * `npm test`: the whole suite. Checks what the tests need (Chromium, Prometheus, bubblewrap, installed
 * with apt-get when run as root; the Prisma client, a current
 * build for the server and browser tests), type-checks, lints, then runs vitest. Extra arguments go to
 * vitest, e.g. `npm test -- test/unit`: a run of unit tests only needs nothing but Node (no system
 * packages, no build, no database), so that inner loop stays fast; it still type-checks and lints
 * the whole tree, which needs nothing but Node either.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ensureBuild, ensurePrismaClient, projectRoot, runTool } from "./lib/prepare";
import { ensureSystemPackages, SANDBOX_NEEDS } from "./lib/system-packages";

const say = (line: string) => process.stdout.write(`[flowgate test] ${line}\n`);

function run(command: string, args: string[]) {
  return new Promise<number>((resolve) => {
    // process.env on purpose (test harness): vitest and tsc run in this process's environment.
    const child = spawn(command, args, { cwd: projectRoot, stdio: "inherit", env: process.env });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

/** Whether the arguments select unit tests only (paths under test/unit); options don't count. */
function unitTestsOnly(args: string[]): boolean {
  const targets = args.filter((arg) => !arg.startsWith("-"));
  const unit = path.join(projectRoot, "test", "unit");
  return targets.length > 0 && targets.every((target) => `${path.resolve(projectRoot, target)}${path.sep}`.startsWith(`${unit}${path.sep}`));
}

async function main() {
  const args = process.argv.slice(2);
  const unitOnly = unitTestsOnly(args);
  if (unitOnly) {
    say("unit tests only: no system packages, build or database needed");
    process.env.FLOWGATE_TEST_NO_DATABASE = "1"; // test harness: read by vitest's global setup, not configuration
  } else {
    prepareForEverySuite();
  }
  await ensurePrismaClient(say);
  say("type-checking");
  await runTool("tsc", ["--noEmit"], { onLine: (line) => process.stdout.write(`${line}\n`) });
  say("linting");
  // The cache keeps the results of unchanged files (by content, so a branch switch costs nothing)
  // and is dropped when the config changes; a full run takes about half a minute of CPU.
  await runTool("eslint", [".", "--cache", "--cache-strategy", "content", "--cache-location", path.join(".next", "cache", "eslint") + path.sep], {
    onLine: (line) => process.stdout.write(`${line}\n`),
  });
  if (!unitOnly) await ensureBuild(say);
  fs.rmSync(path.join(projectRoot, "test-results"), { recursive: true, force: true });
  say("running vitest");
  process.exit(await run(path.join(projectRoot, "node_modules", ".bin", "vitest"), ["run", ...args]));
}

function prepareForEverySuite() {
  // The browser tests need Chromium, the metric source tests a real Prometheus, the sandbox tests bubblewrap.
  ensureSystemPackages(
    [
      { binary: "/usr/bin/chromium", override: "CHROMIUM_PATH", debianPackage: "chromium", why: "the browser tests drive it (or point CHROMIUM_PATH at a Chromium)" },
      { binary: "/usr/bin/prometheus", override: "PROMETHEUS_PATH", debianPackage: "prometheus", why: "the Prometheus metric source is tested against a real one (or set PROMETHEUS_PATH)" },
      ...SANDBOX_NEEDS,
    ],
    say,
  );
}

main().catch((err) => {
  process.stderr.write(`flowgate test: ${(err as Error).message}\n`);
  process.exit(1);
});
