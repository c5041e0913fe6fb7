import type { SimulatedTargetSettings } from "../../lib/repositories/deploy-settings";
import { simulateInterval } from "./simulated-service";
import type { CohortSeries, MetricSource } from "./types";

// A window this long at this step is a mistake, not a canary.
const MAX_POINTS = 10_000;

/**
 * Reads the simulated target's service. Points fall on multiples of the step (as Prometheus's
 * query_range does): the point at t covers (t − step, t] and is interval number t / step, so
 * reading an overlapping window again gives the same numbers. A cohort that served nothing in an
 * interval has no point there, as a real source would have no data.
 */
export function createSimulatedMetricSource(settings: Omit<SimulatedTargetSettings, "kind"> = {}): MetricSource {
  return {
    kind: "simulated",
    async read(ctx, window) {
      const step = window.stepSeconds;
      if (!(step > 0)) throw new RangeError(`stepSeconds must be positive, got ${step}`);
      const first = Math.floor(window.from.getTime() / 1000 / step) + 1;
      const last = Math.floor(window.to.getTime() / 1000 / step);
      if (last - first + 1 > MAX_POINTS) throw new RangeError(`the window holds ${last - first + 1} steps of ${step} s; at most ${MAX_POINTS}`);
      const series: CohortSeries = { canary: [], baseline: [] };
      for (let index = first; index <= last; index++) {
        const interval = simulateInterval({
          seed: ctx.seed,
          intervalIndex: index,
          at: new Date(index * step * 1000),
          intervalSeconds: step,
          weight: window.weight,
          profile: ctx.profile,
          environment: ctx.environment,
          requestsPerSecond: settings.requestsPerSecond,
          capacityFactor: settings.capacityFactor,
        });
        if (interval.canary.requests > 0) series.canary.push(interval.canary);
        if (interval.baseline.requests > 0) series.baseline.push(interval.baseline);
      }
      return series;
    },
  };
}
