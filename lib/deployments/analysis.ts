import { z } from "zod";
import { intervalVerdictSchema, metricComparisonSchema } from "../canary/verdict-schema";
import { parseStoredJson, type StoredJson } from "./stored-json";

/**
 * Deployment.analysis: the staging agent's comparison table (candidate against baseline, after the
 * staging→production adjustment factor), or the deployment agent's latest canary verdict.
 */
export const stagingAnalysisSchema = z.object({
  kind: z.literal("staging"),
  /** Staging numbers are multiplied by it before they are compared with production's. */
  adjustmentFactor: z.number(),
  metrics: z.array(metricComparisonSchema),
});
export type StagingAnalysis = z.infer<typeof stagingAnalysisSchema>;

export const canaryAnalysisSchema = z.object({
  kind: z.literal("canary"),
  latest: intervalVerdictSchema,
});
export type CanaryAnalysis = z.infer<typeof canaryAnalysisSchema>;

export const deploymentAnalysisSchema = z.discriminatedUnion("kind", [stagingAnalysisSchema, canaryAnalysisSchema]);
export type DeploymentAnalysis = z.infer<typeof deploymentAnalysisSchema>;

export function parseDeploymentAnalysis(stored: unknown): StoredJson<DeploymentAnalysis> {
  return parseStoredJson(deploymentAnalysisSchema, stored);
}
