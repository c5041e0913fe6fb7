import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const projectRoot = path.resolve(import.meta.dirname, "..", "..");
const bin = (name: string) => path.join(projectRoot, "node_modules", ".bin", name);

/** Runs a project binary, passing each output line to onLine; rejects with the tail on failure. */
export function runTool(name: string, args: string[], options: { env?: Record<string, string>; onLine?: (line: string) => void } = {}) {
  return new Promise<void>((resolve, reject) => {
    // process.env on purpose: the tool (prisma, next, tsc) runs in this process's environment.
    const child = spawn(bin(name), args, { cwd: projectRoot, env: { ...process.env, CHECKPOINT_DISABLE: "1", ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        options.onLine?.(line);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${name} ${args.join(" ")} failed:\n${tail.join("\n")}`))));
  });
}

function fingerprint(paths: string[]): string {
  const hash = createHash("sha256");
  const visit = (target: string) => {
    if (!fs.existsSync(target)) return;
    const stat = fs.statSync(target);
    if (stat.isDirectory()) {
      if (path.basename(target) === "generated") return;
      for (const entry of fs.readdirSync(target).sort()) visit(path.join(target, entry));
    } else {
      hash.update(path.relative(projectRoot, target)).update(fs.readFileSync(target));
    }
  };
  for (const p of paths) visit(path.join(projectRoot, p));
  return hash.digest("hex");
}

function isCurrent(markerFile: string, print: string) {
  return fs.existsSync(markerFile) && fs.readFileSync(markerFile, "utf8") === print;
}

/** Generates the Prisma client when it is missing or older than schema.prisma. */
export async function ensurePrismaClient(log: (line: string) => void) {
  const print = fingerprint(["prisma/schema.prisma", "package-lock.json"]);
  const marker = path.join(projectRoot, "lib", "db", "generated", ".fingerprint");
  if (isCurrent(marker, print)) return;
  log("generating the Prisma client");
  // The schema names env("DATABASE_URL"); generating needs a value but never connects (any value, so
  // not validated: process.env, not the env schema).
  await runTool("prisma", ["generate"], { env: { DATABASE_URL: process.env.DATABASE_URL || "postgresql://unused@127.0.0.1/unused" } });
  fs.writeFileSync(marker, print);
}

const buildInputs = [
  "app",
  "components",
  "lib",
  "types",
  "proxy.ts",
  "next.config.ts",
  "postcss.config.mjs",
  "tsconfig.json",
  "package-lock.json",
  "prisma/schema.prisma",
];

/** Builds the Next.js app when there is no build of the current sources, showing progress. */
export async function ensureBuild(log: (line: string) => void) {
  const print = fingerprint(buildInputs);
  const marker = path.join(projectRoot, ".next", "flowgate-build-fingerprint");
  if (isCurrent(marker, print) && fs.existsSync(path.join(projectRoot, ".next", "BUILD_ID"))) return false;
  log("building the web app (first start or sources changed; about a minute on 2 cores)");
  const started = Date.now();
  await runTool("next", ["build"], {
    env: { NEXT_TELEMETRY_DISABLED: "1" },
    onLine: (line) => log(`  build │ ${line}`),
  });
  fs.writeFileSync(marker, print);
  log(`build finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}
