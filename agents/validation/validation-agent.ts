import { evaluateValidation } from "./evaluate-validation";
import { adjustForStaging, compareCohorts, describeComparison } from "../rollout/canary-analysis";
import { loadSamples } from "../rollout/deployment-record";
import { measuredDecision, type StageAgent, type StageAgentResult } from "../engine/stage-agent";

export const VALIDATION_AGENT_VERSION = "validation-1";

/**
 * The validation agent: judges the staging numbers with statistics (Mann-Whitney U and a
 * Hodges–Lehmann shift per metric against the baseline, after the staging adjustment) and lets
 * only a change without a regression go on to the canary. Its decision lists every metric.
 */
export function createValidationAgent(): StageAgent {
  return {
    stage: "validation",
    async run(context): Promise<StageAgentResult> {
      const { run } = context;
      const staging = await context.db.deployment.findFirst({
        where: { runId: run.id, environment: "staging", status: "promoted" },
        orderBy: { startedAt: "desc" },
        select: { id: true, analysis: true },
      });
      const factor = (staging?.analysis as { adjustmentFactor?: number } | null)?.adjustmentFactor ?? 1;
      const samples = staging ? await loadSamples(context.db, staging.id) : { canary: [], baseline: [] };
      const comparison = compareCohorts(adjustForStaging(samples, factor));
      const outcome = evaluateValidation(comparison);
      const output = { stagingDeploymentId: staging?.id ?? null, adjustmentFactor: factor, samples: { candidate: samples.canary.length, baseline: samples.baseline.length }, ...comparison };
      const rationale = staging
        ? `Compared ${samples.canary.length} staging points with ${samples.baseline.length} baseline points (staging latency ÷ ${factor}) using Mann-Whitney U and the Hodges–Lehmann shift: ${describeComparison(comparison.metrics)}. Score ${comparison.score.score ?? "–"} (${comparison.score.verdict}).`
        : "No finished staging deployment was found for this run, so there is nothing to validate: escalated for a person.";
      return {
        outcome,
        stageOutput: output,
        decision: measuredDecision({
          agent: "validation",
          agentVersion: VALIDATION_AGENT_VERSION,
          provider: "statistics",
          inputParts: [run.headSha, staging?.id ?? "none", samples.canary.length, samples.baseline.length],
          outcome,
          output,
          rationale,
        }),
      };
    },
  };
}
