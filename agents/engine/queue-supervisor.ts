import type { Runner, WorkerEvents } from "graphile-worker";
import type { Logger } from "../../lib/log";
import type { RunnerHeartbeat } from "./runner-heartbeat";

export interface SupervisedQueue {
  /** Settles when the queue has stopped for good (stop() was called, or it ended on its own). */
  promise: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The runner's job queue kept at its concurrency. graphile-worker does not replace a worker that
 * stopped for good (it could not record its job's end; the heartbeat releases that job): the pool
 * would go on one worker short, and with none left the runner would heartbeat and do nothing. So
 * the queue is started again, once the other workers have finished the jobs they hold (a graceful
 * stop: nothing they run is cut short).
 */
export async function superviseQueue(options: { heartbeat: RunnerHeartbeat; log: Logger; start: (events: WorkerEvents) => Promise<Runner> }): Promise<SupervisedQueue> {
  const { heartbeat, log } = options;
  let stopping = false;
  // Runner.stop() throws when called twice; the restart and a shutdown may both ask.
  const stops = new Map<Runner, Promise<void>>();
  const stopRunner = (runner: Runner) => stops.get(runner) ?? stops.set(runner, runner.stop()).get(runner)!;
  let current = await options.start(heartbeat.workerEvents());
  const promise = (async () => {
    for (;;) {
      const ended = await Promise.race([current.promise.then(() => null), heartbeat.nextWorkerDeath()]);
      if (ended === null || stopping) return;
      log.warn({ workerId: ended }, "restarting the job queue to replace a stopped worker, once the others finish their jobs");
      await stopRunner(current);
      heartbeat.forgetWorkers();
      if (stopping) return;
      current = await options.start(heartbeat.workerEvents());
      if (stopping) return void (await stopRunner(current));
    }
  })();
  return {
    promise,
    async stop() {
      stopping = true;
      await stopRunner(current);
      heartbeat.forgetWorkers();
      await promise;
    },
  };
}
