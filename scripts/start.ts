/**
 * `npm start`: one command from a fresh clone to a running Flowgate. Starts (or connects to) the
 * database, migrates, seeds the demo, builds when needed, then runs the web server and one runner
 * until Ctrl-C / SIGTERM stops them all.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { assertPortFree, loadOrCreateSecrets } from "../lib/db/embedded";
import { openDatabase, type OpenDatabase } from "../lib/db/open-database";
import { parseEnv, startEnvSchema } from "../lib/env";
import { StartupError } from "../lib/startup-error";
import { ensureBuild, ensurePrismaClient, projectRoot } from "./lib/prepare";
import { ensureSystemPackages, SANDBOX_NEEDS } from "./lib/system-packages";

const startedAt = Date.now();
const say = (line: string) => process.stdout.write(`[flowgate ${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);

const children: ChildProcess[] = [];
let database: OpenDatabase | null = null;
let dataDir = "";
let shuttingDown = false;

async function shutdown(code: number, reason: string) {
  if (shuttingDown) return;
  shuttingDown = true;
  say(`shutting down (${reason})`);
  await Promise.all(
    children.filter((c) => c.exitCode === null && c.signalCode === null).map(
      (child) =>
        new Promise<void>((resolve) => {
          const force = setTimeout(() => child.kill("SIGKILL"), 15_000);
          child.once("exit", () => {
            clearTimeout(force);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    ),
  );
  await database?.close().catch((err) => say(`could not stop the database cleanly: ${err}`));
  say("stopped");
  process.exit(code);
}

function launch(name: string, command: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(command, args, { cwd: projectRoot, env, stdio: ["ignore", "inherit", "inherit"] });
  child.on("exit", (code, signal) => {
    if (!shuttingDown) void shutdown(1, `${name} exited unexpectedly (${signal ?? `code ${code}`})`);
  });
  children.push(child);
  return child;
}

async function waitForHealth(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return (await response.json()) as { status: string };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new StartupError(`the web server did not become healthy within ${timeoutMs / 1000} s (${url})`);
}

async function main() {
  process.on("SIGINT", () => void shutdown(0, "SIGINT"));
  process.on("SIGTERM", () => void shutdown(0, "SIGTERM"));

  const config = parseEnv(startEnvSchema);
  const embeddedMode = !config.DATABASE_URL;
  dataDir = path.resolve(projectRoot, config.FLOWGATE_DATA_DIR);
  if (!embeddedMode && !config.NEXTAUTH_SECRET) {
    throw new StartupError("environment variable NEXTAUTH_SECRET is required with an external DATABASE_URL (32+ random characters, e.g. `openssl rand -base64 32`)");
  }
  await assertPortFree(config.PORT, "PORT");
  // The runner tests pull requests in a bubblewrap sandbox; without it the test stage can only escalate.
  if (config.FLOWGATE_SANDBOX !== "off") ensureSystemPackages(SANDBOX_NEEDS, say);
  await ensurePrismaClient(say);

  database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir, share: false, log: say });

  // Loaded after the Prisma client exists: these modules import it.
  const { createPrismaClient } = await import("../lib/db/client");
  const { ensureDefaultPolicy } = await import("../lib/policy/ensure-default-policy");
  const { seedDemoUsers, demoUsers, DEMO_PASSWORD } = await import("../lib/users/demo-users");
  const client = createPrismaClient(database.databaseUrl);
  await ensureDefaultPolicy(client);
  if (embeddedMode) {
    const created = await seedDemoUsers(client);
    const { seedDemoRuns } = await import("./lib/demo-repository");
    const runs = await seedDemoRuns(client, { dataDir, actor: { type: "system", id: "demo", label: "demo seed" }, log: say });
    say(created > 0 || runs > 0 ? `seeded ${created} demo users and ${runs} demo pull requests (repository demo-shop)` : "demo data already present");
    await (await import("./lib/demo-history")).seedDemoHistory(client, { actor: { type: "system", id: "demo", label: "demo seed" }, log: say });
  }
  const userCount = await client.user.count();
  await client.$disconnect();

  await ensureBuild(say);

  const authSecret = config.NEXTAUTH_SECRET ?? loadOrCreateSecrets(dataDir).authSecret;
  const appUrl = `http://localhost:${config.PORT}`;
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env, // the children run in this process's environment, with these set for them
    DATABASE_URL: database.databaseUrl,
    NEXTAUTH_SECRET: authSecret,
    NEXTAUTH_URL: config.NEXTAUTH_URL ?? appUrl,
    FLOWGATE_DATA_DIR: dataDir,
    PORT: String(config.PORT),
    NEXT_TELEMETRY_DISABLED: "1",
    NODE_ENV: "production",
  };
  say(`starting the web server on port ${config.PORT} and one runner`);
  launch("web server", path.join(projectRoot, "node_modules", ".bin", "next"), ["start", "-p", String(config.PORT)], {
    ...childEnv,
    FLOWGATE_SERVICE: "web",
  });
  launch("runner", process.execPath, ["--import", "tsx", path.join(projectRoot, "agents", "runner.ts")], {
    ...childEnv,
    FLOWGATE_SERVICE: "runner",
  });
  await waitForHealth(`http://127.0.0.1:${config.PORT}/api/health`, 120_000);

  if (embeddedMode) {
    say(`demo accounts (password "${DEMO_PASSWORD}"): ${demoUsers.map((u) => `${u.email} (${u.role})`).join(", ")}`);
  } else if (userCount === 0) {
    say("no users yet: create the first admin with `npm run ctl -- user create --email you@example.com --role admin`");
  }
  // Last, so whoever waits for this line (a person, a script, the tests) has everything above it.
  say(`Flowgate is ready: ${appUrl} (press Ctrl-C to stop)`);
}

main().catch(async (err) => {
  const message = err instanceof StartupError ? err.message : (err as Error).stack ?? String(err);
  process.stderr.write(`flowgate: ${message}\n`);
  if (!shuttingDown) await shutdown(1, "start-up failed");
});
