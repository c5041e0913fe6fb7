/**
 * Telling a database that is momentarily away (restarting, a cut connection, a deadlock) from one
 * that refused what was sent: the first is retried, the second is not going to change by itself.
 */

/** SQLSTATE classes that mean "the database is (momentarily) unreachable or busy", not "refused". */
const TRANSIENT_SQLSTATE = /^(08|53|57|40|55P03|58)/;
/** Node and pg errors of a lost or refused connection (no SQLSTATE: the server never answered). */
const TRANSIENT_MESSAGE =
  /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|Connection terminated|connection (is )?(closed|ended|lost|timeout)|Client has encountered a connection error|server (has )?closed the connection|terminating connection|the database system is (starting up|shutting down|in recovery)|Can't reach database server|timeout exceeded when trying to connect|Transaction API error|Unable to start a transaction|Transaction already closed|Transaction not found/i;

/** The PostgreSQL SQLSTATE somewhere in a Prisma/pg error (its own, its cause, its meta), if any. */
export function sqlStateOf(error: unknown): string | null {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const e = current as { code?: unknown; meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown } } }; cause?: unknown; originalCode?: unknown };
    for (const candidate of [e.originalCode, e.meta?.code, e.meta?.driverAdapterError?.cause?.originalCode, e.code]) {
      if (typeof candidate === "string" && /^[0-9A-Z]{5}$/.test(candidate) && !/^P\d{4}$/.test(candidate)) return candidate;
    }
    current = e.cause ?? e.meta?.driverAdapterError;
  }
  return null;
}

/**
 * Whether a failure to record is the database being away (a restart, a cut connection, a
 * deadlock): the queue's retries are right for those and they never escalate a run. Anything else
 * (a refused value, a failed constraint, a bug in the recording) would fail the same way again.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  // Prisma's own codes for an unreachable server, a timeout and a closed connection.
  if (["P1001", "P1002", "P1008", "P1017"].includes(String((error as { code?: unknown })?.code))) return true;
  // Prisma's driver adapter errors name their kind in `cause`.
  const kind = (error as { cause?: { kind?: unknown } })?.cause?.kind;
  if (typeof kind === "string" && /^(ConnectionClosed|SocketTimeout|DatabaseNotReachable|TooManyConnections|TransactionAlreadyClosed)$/.test(kind)) return true;
  const state = sqlStateOf(error);
  if (state) return TRANSIENT_SQLSTATE.test(state);
  const messages: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    messages.push(String((e as { message?: unknown }).message ?? e));
  }
  return TRANSIENT_MESSAGE.test(messages.join("\n"));
}

/**
 * Runs `work` until it succeeds, retrying while the database is away (backoff from half a second
 * to five, for at most `timeoutMs`); any other error, or the timeout, is thrown. For a process's
 * start-up: a runner (re)started while PostgreSQL restarts waits for it instead of exiting.
 */
export async function untilDatabaseAnswers<T>(work: () => Promise<T>, options: { what: string; onWait: (what: string, error: unknown) => void; timeoutMs?: number }): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isTransientDatabaseError(error) || Date.now() > deadline) throw error;
      options.onWait(options.what, error);
      await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 5000)));
    }
  }
}

/**
 * A process-wide handler for promise rejections nobody handled: a transient database error is
 * logged and survived, anything else ends the process as Node's default does. Prisma's interactive
 * transaction timer rolls back a transaction that outlived its timeout on its own, unawaited; when
 * the connection has already gone (a database restart, a cut), that rollback rejects with nobody to
 * catch it, and the runner died of it (found by the chaos soak, issue #19). The transaction is gone
 * with its connection either way; the caller already got its own error.
 */
export function surviveTransientRejections(log: { warn(obj: object, msg: string): void; fatal(obj: object, msg: string): void }) {
  process.on("unhandledRejection", (reason) => {
    if (isTransientDatabaseError(reason)) {
      log.warn({ err: String((reason as Error)?.message ?? reason) }, "a database call nobody awaited failed with the connection; ignored");
      return;
    }
    log.fatal({ err: reason }, "unhandled promise rejection");
    process.exit(1);
  });
}
