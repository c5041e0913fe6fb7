import { z } from "zod";
import { DEFAULT_TWO_APPROVAL_REASONS } from "./approval-rules";

/**
 * The policy's thresholds. Defaults come from the source case study (see ARCHITECTURE.md,
 * "Policy defaults"); every run records the version it ran under.
 */
export const policyRulesSchema = z.object({
  review: z.object({
    humanRiskThreshold: z.number().int().min(1).max(10).default(7),
    escalateApiBreaks: z.boolean().default(true),
    escalateSchemaChanges: z.boolean().default(true),
    escalateNewIntegrations: z.boolean().default(true),
    // The strict floor: any change that deletes a line of logic from code goes to a person. For
    // repositories reviewed without an LLM that would rather read more than miss a removed check
    // (bench/review-quality.ts measures what it catches and what it costs).
    escalateDeletedLogic: z.boolean().default(false),
  }).prefault({}),
  test: z.object({
    changedLineCoverageTarget: z.number().min(0).max(100).default(80),
    maxGenerationAttempts: z.number().int().min(0).max(5).default(2),
  }).prefault({}),
  deployment: z.object({
    canaryTrafficPercent: z.number().min(1).max(50).default(5),
    canaryDurationMinutes: z.number().min(1).max(240).default(10),
    maxErrorRatePercent: z.number().min(0).max(100).default(0.5),
    maxP99LatencyMs: z.number().min(1).default(800),
  }).prefault({}),
  escalation: z.object({
    slaBusinessHours: z.number().min(1).max(80).default(4),
    twoApprovalReasons: z.array(z.string()).default([...DEFAULT_TWO_APPROVAL_REASONS]),
  }).prefault({}),
  retries: z.object({
    maxAttempts: z.number().int().min(1).max(10).default(3),
  }).prefault({}),
});

export type PolicyRules = z.infer<typeof policyRulesSchema>;

export const defaultPolicyRules: PolicyRules = policyRulesSchema.parse({});
