import { defaultPolicyRules, policyRulesSchema } from "../policy/policy-rules";

/** The canary limits a deployment was held to: its run's policy version, not today's. */
export interface DeploymentThresholds {
  maxErrorRatePercent: number;
  maxP99LatencyMs: number;
  policyVersion: number;
  /** "defaults" when the stored policy could not be read (the charts still need lines). */
  source: "policy" | "defaults";
}

export function thresholdsFromPolicy(policy: { version: number; rules: unknown }): DeploymentThresholds {
  const parsed = policyRulesSchema.safeParse(policy.rules);
  const deployment = parsed.success ? parsed.data.deployment : defaultPolicyRules.deployment;
  return {
    maxErrorRatePercent: deployment.maxErrorRatePercent,
    maxP99LatencyMs: deployment.maxP99LatencyMs,
    policyVersion: policy.version,
    source: parsed.success ? "policy" : "defaults",
  };
}
