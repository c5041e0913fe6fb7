/**
 * A TCP proxy between Flowgate's processes and PostgreSQL that can hurt the connections passing
 * through it, the way networks and load balancers do:
 * - drop: every open connection is reset at once (a firewall flush, a failover);
 * - stall: no byte moves in either direction for a few seconds, then everything resumes intact
 *   (a congested link, a paused VM): clients must not give up on a merely slow database;
 * - half-open: a few connections stop carrying bytes without being closed (the peer vanished
 *   without a FIN), until a reset after `holdMs`, as TCP keepalive would eventually give. From
 *   user space the proxy cannot stop the kernel ACKing, so "forever" cannot be simulated honestly;
 *   the hold stands for the time keepalive takes to notice.
 * New connections are accepted throughout (only a restart of PostgreSQL refuses them).
 */
import net from "node:net";

interface Pair {
  client: net.Socket;
  server: net.Socket;
  /** Set while this pair is black-holed (half-open): bytes are swallowed, nothing is closed. */
  blackHoled: boolean;
}

export interface ChaosProxy {
  port: number;
  /** Connections currently open through the proxy. */
  open(): number;
  drop(): number;
  stall(ms: number): Promise<number>;
  halfOpen(count: number, holdMs: number): number;
  close(): Promise<void>;
}

export async function startChaosProxy(options: { targetPort: () => number; targetHost?: string }): Promise<ChaosProxy> {
  const pairs = new Set<Pair>();
  let stalled = false;
  const host = options.targetHost ?? "127.0.0.1";

  const pipe = (pair: Pair, from: net.Socket, to: net.Socket) => {
    from.on("data", (chunk: Buffer) => {
      if (pair.blackHoled) return;
      if (!to.write(chunk)) {
        from.pause();
        to.once("drain", () => {
          if (!stalled) from.resume();
        });
      }
    });
  };

  const server = net.createServer((client) => {
    const upstream = net.connect({ host, port: options.targetPort() });
    const pair: Pair = { client, server: upstream, blackHoled: false };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    if (stalled) {
      client.pause();
      upstream.pause();
    }
    pipe(pair, client, upstream);
    pipe(pair, upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;

  const reset = (pair: Pair) => {
    pairs.delete(pair);
    // resetAndDestroy sends an RST, as a dropped connection looks to the client.
    pair.client.resetAndDestroy();
    pair.server.resetAndDestroy();
  };

  return {
    port,
    open: () => pairs.size,
    drop() {
      const count = pairs.size;
      for (const pair of [...pairs]) reset(pair);
      return count;
    },
    async stall(ms: number) {
      stalled = true;
      const count = pairs.size;
      for (const pair of pairs) {
        pair.client.pause();
        pair.server.pause();
      }
      await new Promise((r) => setTimeout(r, ms));
      stalled = false;
      for (const pair of pairs) {
        pair.client.resume();
        pair.server.resume();
      }
      return count;
    },
    halfOpen(count: number, holdMs: number) {
      const chosen = [...pairs].filter((p) => !p.blackHoled).sort(() => Math.random() - 0.5).slice(0, count);
      for (const pair of chosen) {
        pair.blackHoled = true;
        setTimeout(() => reset(pair), holdMs).unref();
      }
      return chosen.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of [...pairs]) reset(pair);
        server.close(() => resolve());
      }),
  };
}
