/**
 * `COPY (SELECT …) TO STDOUT` streamed on a connection of its own: one statement instead of a
 * query per page, rows decoded straight from the wire instead of driver objects. The audit export
 * (text format) and the audit verifier (binary format) read millions of events this way.
 */
import pg from "pg";

/**
 * Turns CopyData chunks into rows. `push` must consume the chunk before it returns: pg reuses the
 * buffer it reads the socket into. A row may span chunks (the protocol does not promise one row
 * per message), so a decoder keeps what is left over; `end` throws if a row was left unfinished.
 */
export interface CopyDecoder<Row> {
  push(chunk: Buffer, rows: Row[]): void;
  end(): void;
}

/** Pause the socket when this many rows wait for the reader: COPY has no other flow control. */
const HIGH_WATER_ROWS = 20_000;

/**
 * Yields the rows of a COPY ... TO STDOUT in batches, read through pg's "submittable" interface
 * (what pg-copy-streams is built on): each CopyData message is decoded as it arrives, and the
 * socket is paused while the reader is behind. Returning early closes the connection, which ends
 * the COPY on the server.
 */
export async function* copyOut<Row>(databaseUrl: string, sql: string, decoder: CopyDecoder<Row>): AsyncGenerator<Row[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // Failures reach the query's handleError; without a listener, closing early would crash the process.
  client.on("error", () => {});
  await client.connect();
  const socket = (client as unknown as { connection: { stream: { pause(): void; resume(): void; destroy(): void } } }).connection.stream;
  let pending: Row[] = [];
  let finished = false;
  let failure: unknown = null;
  let paused = false;
  let wake: (() => void) | null = null;
  const signal = () => {
    wake?.();
    wake = null;
  };
  client.query({
    submit: (connection: { query(text: string): void }) => connection.query(sql),
    handleCopyData: (message: { chunk: Buffer }) => {
      if (failure) return;
      try {
        decoder.push(message.chunk, pending);
      } catch (error) {
        failure ??= error;
      }
      if (pending.length >= HIGH_WATER_ROWS && !paused) {
        paused = true;
        socket.pause();
      }
      signal();
    },
    handleCommandComplete: () => {},
    handleError: (error: unknown) => {
      failure ??= error;
    },
    handleReadyForQuery: () => {
      finished = true;
      signal();
    },
  } as never);
  let completed = false;
  try {
    for (;;) {
      // A decoding failure or a server error ends the read; the caller learns of it at once.
      if (failure) throw failure;
      if (pending.length > 0) {
        const rows = pending;
        pending = [];
        if (paused) {
          paused = false;
          socket.resume();
        }
        yield rows;
        continue;
      }
      if (finished) {
        decoder.end();
        completed = true;
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (completed) await client.end();
    // Stopped early: the server is still sending. Closing the socket ends the COPY.
    else socket.destroy();
  }
}
