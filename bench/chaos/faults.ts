/**
 * The faults, each kind on its own timeline so they overlap: runner SIGKILLs, web server
 * SIGKILLs, PostgreSQL restarts and connection cuts through the proxy. Each kind's moments are
 * random, one in each of N equal slots of the soak (stratified), so a soak reaches its counts
 * without two restarts of the database landing back to back by chance.
 */
import type { ManagedProcess, SoakDatabase } from "./processes";
import { waitForHealthy } from "./processes";
import type { ChaosProxy } from "./proxy";

export interface FaultCounts {
  runnerKills: number;
  webKills: number;
  dbRestarts: number;
  drops: number;
  stalls: number;
  halfOpens: number;
  /** Connections the cuts actually hit (a cut of an idle moment may hit none). */
  connectionsHit: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (min: number, max: number) => min + Math.random() * (max - min);

/** One random moment in each of `count` equal slots of [from, to). */
function moments(count: number, from: number, to: number): number[] {
  const slot = (to - from) / count;
  return Array.from({ length: count }, (_, i) => from + slot * i + Math.random() * slot);
}

async function onTimeline(times: number[], isStopped: () => boolean, act: () => Promise<void>) {
  for (const at of times) {
    while (Date.now() < at) {
      if (isStopped()) return;
      await sleep(Math.min(250, at - Date.now()));
    }
    if (isStopped()) return;
    await act();
  }
}

export function startFaults(options: {
  durationMs: number;
  /** The runners SIGKILLed at random (all but the memory witness). */
  killableRunners: ManagedProcess[];
  web: ManagedProcess;
  webUrl: string;
  database: SoakDatabase;
  proxy: ChaosProxy;
  targets: { runnerKills: number; webKills: number; dbRestarts: number; cuts: number };
  log: (line: string) => void;
}) {
  const counts: FaultCounts = { runnerKills: 0, webKills: 0, dbRestarts: 0, drops: 0, stalls: 0, halfOpens: 0, connectionsHit: 0 };
  let stopped = false;
  const isStopped = () => stopped;
  const start = Date.now();
  // Leave the first half minute alone so the first runs are under way, and the last seconds so
  // the last restarts finish before the soak waits for quiescence.
  const from = start + 30_000;
  const to = start + options.durationMs - 10_000;
  const restarts = new Set<Promise<void>>();

  const runnerKills = onTimeline(moments(options.targets.runnerKills, from, to), isStopped, async () => {
    // All may be down at this moment (killed, restarting): the kill waits for one to be up.
    let alive = options.killableRunners.filter((r) => r.alive());
    for (let waited = 0; alive.length === 0 && waited < 20 && !stopped; waited++) {
      await sleep(500);
      alive = options.killableRunners.filter((r) => r.alive());
    }
    const victim = alive[Math.floor(Math.random() * alive.length)];
    if (!victim) return;
    await victim.sigkill();
    counts.runnerKills++;
    // Restarted after a moment, as a supervisor would; the next kill does not wait for it.
    const restart = sleep(between(500, 3000)).then(() => void victim.start());
    restarts.add(restart);
    void restart.finally(() => restarts.delete(restart));
  });

  const webKills = onTimeline(moments(options.targets.webKills, from, to), isStopped, async () => {
    await options.web.sigkill();
    counts.webKills++;
    await sleep(between(500, 2000));
    options.web.start();
    await waitForHealthy(options.webUrl, 120_000).catch((err) => options.log(`web server: ${(err as Error).message}`));
  });

  const dbRestarts = onTimeline(moments(options.targets.dbRestarts, from, to), isStopped, async () => {
    const started = Date.now();
    await options.database.restart();
    counts.dbRestarts++;
    options.log(`PostgreSQL restarted (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  });

  const cuts = onTimeline(moments(options.targets.cuts, from, to), isStopped, async () => {
    const kind = Math.random();
    if (kind < 0.4) {
      counts.drops++;
      counts.connectionsHit += options.proxy.drop();
    } else if (kind < 0.7) {
      counts.stalls++;
      counts.connectionsHit += await options.proxy.stall(between(2000, 8000));
    } else {
      counts.halfOpens++;
      counts.connectionsHit += options.proxy.halfOpen(Math.ceil(between(0, 3)), between(5000, 20_000));
    }
  });

  return {
    counts,
    async stop() {
      stopped = true;
      await Promise.all([runnerKills, webKills, dbRestarts, cuts]);
      await Promise.all([...restarts]);
    },
  };
}
