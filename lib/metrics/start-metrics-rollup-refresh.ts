import type { Db } from "../db/client";
import type { Logger } from "../log";
import { refreshMetricsRollup } from "./refresh-metrics-rollup";

/** How often a runner refreshes the rollup: the days a late change reopened are read live until then. */
export const METRICS_ROLLUP_REFRESH_SECONDS = 60;

/**
 * Keeps the metrics rollup current from a runner: a refresh at start (the first one after the
 * migration rolls up the whole history, in the background) and one every `seconds` after, never
 * two at once. Every runner does this; the rollup lock and the list of rolled-up days leave the
 * others nothing to do.
 */
export function startMetricsRollupRefresh(input: { db: Db; log: Logger; seconds?: number }): { stop(): void } {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    const started = performance.now();
    refreshMetricsRollup(input.db)
      .then((outcome) => {
        if (outcome.rolledUp > 0) input.log.info({ ...outcome, ms: Math.round(performance.now() - started) }, "metrics rollup refreshed");
        if (outcome.busy) input.log.debug("metrics rollup lock busy; the next refresh continues");
      })
      .catch((err) => input.log.warn({ err }, "metrics rollup refresh failed; retrying at the next interval"))
      .finally(() => (running = false));
  };
  tick();
  const timer = setInterval(tick, (input.seconds ?? METRICS_ROLLUP_REFRESH_SECONDS) * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
