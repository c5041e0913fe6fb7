import type { PerformanceProfile } from "./profile";

export type { PerformanceProfile } from "./profile";

export type Environment = "staging" | "production";

export interface DeployContext {
  runId: string;
  repository: string;
  pullRequestNumber: number;
  headSha: string;
  environment: Environment;
  /** Also exported to commands as FLOWGATE_* variables and sent in webhook events. */
  variables: Record<string, string>;
  /** Performance profile of the candidate (simulated target only; see profile.ts). */
  profile: PerformanceProfile;
  /** Seed for deterministic simulation (e.g. a hash of runId + environment); see simulationSeed(). */
  seed: number;
}

export interface StepResult {
  ok: boolean;
  summary: string;
  output?: string;
  durationMs: number;
}

export interface DeployTarget {
  kind: "simulated" | "command" | "webhook";
  /** Staging: deploy the candidate; production: start the canary at weight 0. */
  deploy(ctx: DeployContext): Promise<StepResult>;
  setWeight(ctx: DeployContext, percent: number): Promise<StepResult>;
  /** 100% candidate. */
  promote(ctx: DeployContext): Promise<StepResult>;
  rollback(ctx: DeployContext, reason: string): Promise<StepResult>;
}

export interface MetricPoint {
  at: Date;
  /** Percent, 0–100. */
  errorRate: number;
  p99Ms: number;
  requests: number;
}

export interface CohortSeries {
  canary: MetricPoint[];
  baseline: MetricPoint[];
}

export interface MetricWindow {
  from: Date;
  to: Date;
  stepSeconds: number;
  /** Candidate traffic share during the window, percent. */
  weight: number;
}

export interface MetricSource {
  kind: "simulated" | "prometheus";
  read(ctx: DeployContext, window: MetricWindow): Promise<CohortSeries>;
}

export interface SmokeCheck {
  name: string;
  url?: string;
  expectStatus?: number;
  bodyIncludes?: string;
  command?: string;
  /** Time limit of the request or the command; 10 s for URLs and 60 s for commands when absent. */
  timeoutSeconds?: number;
}

export interface SmokeResult {
  name: string;
  ok: boolean;
  detail: string;
}
