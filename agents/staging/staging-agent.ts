import { setTimeout as sleep } from "node:timers/promises";
import { adjustForStaging, compareCohorts, describeComparison } from "../rollout/canary-analysis";
import { deployContextFor } from "../deployment/deploy-context";
import { loadSamples, openDeployment, recordStep, storeSamples } from "../rollout/deployment-record";
import { measuredDecision, type StageAgent, type StageAgentResult } from "../engine/stage-agent";
import { createDeployTarget, createMetricSource, deploySettingsOf, realDurationMs, runSmokeChecks } from "../targets/select";

export const STAGING_AGENT_VERSION = "staging-1";
/** Metric points per staging window: the statistics need at least ten per cohort. */
const POINTS_PER_WINDOW = 24;

/**
 * The staging agent: deploys the candidate to staging through the repository's target, runs the
 * smoke checks, collects metrics for the staging window and compares them with the baseline
 * after the staging→production adjustment. A failed smoke check fails the stage; a regression
 * does not stop it here: the numbers go to the validation agent, which decides.
 */
export function createStagingAgent(): StageAgent {
  return {
    stage: "staging",
    async run(context): Promise<StageAgentResult> {
      const { run } = context;
      const repository = run.pullRequest.repository;
      const settings = deploySettingsOf(repository.settings);
      const target = createDeployTarget(settings, "staging");
      const source = createMetricSource(settings, "staging");
      const ctx = await deployContextFor(context, "staging");
      const actor = { type: "agent" as const, id: "staging", label: "staging agent" };
      const { handle, resumed } = await openDeployment(context.db, {
        runId: run.id,
        stageRunId: context.stageRunId,
        repositoryId: repository.id,
        pullRequestNumber: run.pullRequest.number,
        environment: "staging",
        strategy: "staging",
        target: target.kind,
        actor,
      });
      const decision = (outcome: StageAgentResult["outcome"], output: Record<string, unknown>, rationale: string): StageAgentResult => ({
        outcome,
        stageOutput: { deploymentId: handle.id, ...output },
        decision: measuredDecision({
          agent: "staging",
          agentVersion: STAGING_AGENT_VERSION,
          provider: "heuristic",
          inputParts: [run.headSha, JSON.stringify(settings)],
          outcome,
          output: { deploymentId: handle.id, ...output },
          rationale,
        }),
      });

      if (resumed) await recordStep(context.db, handle, { kind: "resume", summary: "Staging restarted after a runner crash: deploying again", verdict: "ok" });
      const deployed = await target.deploy(ctx);
      await recordStep(context.db, handle, {
        kind: "deploy",
        summary: deployed.summary,
        verdict: deployed.ok ? "ok" : "failed",
        weight: deployed.ok ? 100 : 0,
        detail: { output: deployed.output ?? null, durationMs: deployed.durationMs },
        deployment: { status: deployed.ok ? "deploying" : "failed", trafficPercent: deployed.ok ? 100 : 0, ...(deployed.ok ? {} : { finishedAt: new Date() }) },
      });
      if (!deployed.ok) return decision({ kind: "fail", summary: `Staging deploy failed: ${deployed.summary}` }, { deployed: false }, `The staging deploy failed: ${deployed.summary}`);

      const smoke = await runSmokeChecks(settings.staging.smokeChecks, ctx, target);
      for (const check of smoke) {
        await recordStep(context.db, handle, { kind: "smoke_check", summary: `${check.name}: ${check.detail}`, verdict: check.ok ? "ok" : "failed", detail: check });
      }
      const failed = smoke.filter((c) => !c.ok);
      if (failed.length > 0) {
        const summary = `Smoke check failed: ${failed.map((c) => `${c.name} (${c.detail})`).join("; ")}`;
        await recordStep(context.db, handle, { kind: "rollback", summary, verdict: "failed", weight: 0, deployment: { status: "failed", trafficPercent: 0, finishedAt: new Date() } });
        return decision({ kind: "fail", summary }, { smoke }, summary);
      }

      // The staging window, on the repository's clock (the demo compresses it and says so).
      const windowSeconds = settings.stagingWindowSeconds;
      const from = new Date();
      await sleep(realDurationMs(settings, windowSeconds));
      // The candidate takes all of staging's traffic; the baseline is what production runs now.
      const window = { from, to: new Date(from.getTime() + windowSeconds * 1000), stepSeconds: windowSeconds / POINTS_PER_WINDOW };
      const candidate = await source.read(ctx, { ...window, weight: 100 });
      const production = await createMetricSource(settings, "production").read(await deployContextFor(context, "production"), { ...window, weight: 0 });
      await storeSamples(context.db, handle.id, { canary: candidate.canary, baseline: production.baseline });
      const stored = await loadSamples(context.db, handle.id);
      const factor = settings.adjustmentFactor;
      const { metrics, score } = compareCohorts(adjustForStaging(stored, factor));
      const analysis = { kind: "staging", adjustmentFactor: factor, windowSeconds, clockScale: settings.clockScale, metrics, score };
      const table = describeComparison(metrics);
      await recordStep(context.db, handle, {
        kind: "evaluation",
        summary: `Staging vs baseline (latency ÷ ${factor}): ${score.verdict}. ${table}`,
        verdict: score.verdict,
        weight: 100,
        detail: analysis,
        deployment: { status: "promoted", finishedAt: new Date(), analysis },
      });
      const clock = settings.clockScale === 1 ? "" : ` (compressed clock: ×${settings.clockScale})`;
      return decision(
        { kind: "pass", summary: `Deployed to staging; ${smoke.length} smoke check${smoke.length === 1 ? "" : "s"} passed; comparison ${score.verdict}` },
        { smoke, analysis },
        `Deployed ${run.headSha.slice(0, 8)} to staging with the ${target.kind} target and ran ${smoke.length} smoke check(s), all passing. Collected ${windowSeconds} s of metrics${clock} and compared them with the baseline after dividing staging latency by ${factor}: ${table}. The validation agent decides on regressions.`,
      );
    },
  };
}
