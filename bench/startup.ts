/**
 * Start-up figures: cold start to healthy (empty data directory, no build: creates the cluster,
 * migrates, seeds, builds) and warm restart (same data directory, current build).
 * Run with `node --import tsx bench/startup.ts`. It removes the current build to measure the cold case.
 */
import fs from "node:fs";
import path from "node:path";
import { startFlowgate, testDataDir } from "../test/support/flowgate-process";

const root = path.resolve(import.meta.dirname, "..");

async function timed(label: string, dataDir: string) {
  const began = performance.now();
  const app = await startFlowgate({ dataDir });
  const seconds = (performance.now() - began) / 1000;
  process.stdout.write(`${label.padEnd(40)} ${seconds.toFixed(1)} s\n`);
  await app.stop();
  return seconds;
}

process.stdout.write("removing the current build to measure a cold start...\n");
fs.rmSync(path.join(root, ".next"), { recursive: true, force: true });
const dataDir = testDataDir("bench-startup");
await timed("cold start to healthy (incl. build)", dataDir);
await timed("warm restart to healthy", dataDir);
await timed("warm restart to healthy (again)", dataDir);
fs.rmSync(dataDir, { recursive: true, force: true });
