import type { DeployContext, DeployTarget, StepResult } from "./types";

/**
 * The target of the demo and the tests. It keeps no state: the weight a step sets reaches the
 * simulated metric source through the MetricWindow, so any runner can carry on a deployment.
 * Steps always succeed; what goes wrong is the candidate's behaviour (its PerformanceProfile),
 * which the metric source and the smoke checks show.
 */
export function createSimulatedTarget(): DeployTarget {
  return {
    kind: "simulated",
    deploy: async (ctx) =>
      done(ctx.environment === "production" ? `started the canary of ${short(ctx)} at 0% of traffic (simulated)` : `deployed ${short(ctx)} to the simulated staging service`),
    setWeight: async (ctx, percent) => {
      if (!(percent >= 0 && percent <= 100)) return { ok: false, summary: `weight must be 0–100%, got ${percent}`, durationMs: 0 };
      return done(`sent ${percent}% of ${ctx.environment} traffic to ${short(ctx)} (simulated)`);
    },
    promote: async (ctx) => done(`promoted ${short(ctx)} to 100% of ${ctx.environment} traffic (simulated)`),
    rollback: async (ctx, reason) => done(`rolled back ${short(ctx)} in ${ctx.environment}: ${reason} (simulated)`),
  };
}

const short = (ctx: DeployContext) => ctx.headSha.slice(0, 7);
const done = (summary: string): StepResult => ({ ok: true, summary, durationMs: 0 });
