/**
 * A realistic deployment written straight into a database, as the staging and deployment agents
 * would leave it: a run with a staging deployment (its comparison table) and a production canary
 * with steps, raw samples per cohort, evaluations computed by lib/canary from those very samples,
 * and (when it ends in a rollback) an incident report. Used by the deployments integration and
 * browser tests and by bench/deployments-page.ts.
 */
import { compareMetric, evaluateInterval, hardThresholdsFromPolicy, type IntervalVerdict, type MetricSpec } from "@/lib/canary";
import type { Db } from "@/lib/db/client";
import type { DeploymentStatus, DeploymentStepKind } from "@/lib/db/generated/enums";
import type { StagingAnalysis } from "@/lib/deployments/analysis";
import type { IncidentReport } from "@/lib/deployments/incident-report";
import { defaultPolicyRules, policyRulesSchema } from "@/lib/policy/policy-rules";

export type CanaryEnding = "rolled_back" | "promoted" | "canary";

export interface DeploymentFixtureOptions {
  repository?: string;
  prNumber?: number;
  title?: string;
  /** Samples per cohort (canary and baseline each). */
  samplesPerCohort?: number;
  /** How the canary ends: rolled back on an error-rate spike, promoted, or still running. */
  ending?: CanaryEnding;
  /** Evaluations over the canary's life (the last one decides a rollback). */
  evaluations?: number;
  /** When the last sample was taken; the canary started samplesPerCohort intervals before. */
  endedAt?: Date;
}

export interface DeploymentFixture {
  runId: string;
  stagingDeploymentId: string;
  canaryDeploymentId: string;
  /** The canary's error rate (percent) in the interval that tripped the rollback, if any. */
  spikeErrorRate: number | null;
  rollbackReason: string | null;
  /** Every evaluation's verdict, in order. */
  verdicts: IntervalVerdict[];
  incidentTitle: string | null;
}

const INTERVAL_MS = 10_000;

/** A deterministic pseudo-random sequence (LCG), so the same fixture comes out every time. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const metricSpecs: Record<"errors" | "latency", MetricSpec> = {
  errors: { name: "error_rate", unit: "%", direction: "increase_is_bad", tolerance: 0.5, minAllowedShift: 0.1, critical: true },
  latency: { name: "p99_latency", unit: "ms", direction: "increase_is_bad", tolerance: 0.2, critical: true },
};

interface Sample {
  cohort: "canary" | "baseline";
  at: Date;
  errorRate: number;
  p99Ms: number;
  requests: number;
}

function cohortSamples(cohort: Sample["cohort"], count: number, startedAt: number, seed: number, spikeFrom: number | null): Sample[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const spiking = spikeFrom !== null && i >= spikeFrom;
    return {
      cohort,
      at: new Date(startedAt + i * INTERVAL_MS),
      errorRate: spiking ? 2 + next() * 1.5 : 0.08 + next() * 0.06,
      p99Ms: spiking ? 880 + next() * 140 : 300 + next() * 60 + (i % 97 === 0 ? 120 : 0),
      requests: cohort === "canary" ? 400 + Math.floor(next() * 80) : 7_600 + Math.floor(next() * 800),
    };
  });
}

function traffic(window: Sample[]) {
  const requests = window.reduce((sum, s) => sum + s.requests, 0);
  const errors = Math.round(window.reduce((sum, s) => sum + (s.requests * s.errorRate) / 100, 0));
  return { requests, errors, p99LatencyMs: Math.max(...window.map((s) => s.p99Ms)) };
}

async function insertSamples(db: Db, deploymentId: string, samples: Sample[]) {
  // In chunks: one INSERT has at most 65,535 parameters.
  for (let i = 0; i < samples.length; i += 5_000) {
    await db.metricSample.createMany({ data: samples.slice(i, i + 5_000).map((s) => ({ ...s, deploymentId })) });
  }
}

export async function seedDeploymentFixture(db: Db, options: DeploymentFixtureOptions = {}): Promise<DeploymentFixture> {
  const samplesPerCohort = options.samplesPerCohort ?? 600;
  const ending = options.ending ?? "rolled_back";
  const evaluationCount = Math.max(1, Math.min(options.evaluations ?? 10, samplesPerCohort));
  const endedAt = (options.endedAt ?? new Date()).getTime();
  const startedAt = endedAt - samplesPerCohort * INTERVAL_MS;
  const policy = await db.policy.findFirstOrThrow({ where: { active: true } });
  const parsedRules = policyRulesSchema.safeParse(policy.rules);
  const thresholds = hardThresholdsFromPolicy((parsedRules.success ? parsedRules.data : defaultPolicyRules).deployment);

  const repositoryName = options.repository ?? "payments-api";
  const repository = await db.repository.upsert({
    where: { name: repositoryName },
    update: {},
    create: { name: repositoryName, location: `/srv/git/${repositoryName}` },
  });
  const number = options.prNumber ?? 900 + Math.floor(Math.random() * 90_000);
  const pullRequest = await db.pullRequest.create({
    data: { repositoryId: repository.id, number, title: options.title ?? "Retry card captures on gateway timeouts", author: "dev@example.com", baseRef: "main", headRef: `feature/retry-${number}` },
  });
  const runStatus = ending === "rolled_back" ? "rolled_back" : ending === "promoted" ? "done" : "running";
  const run = await db.pipelineRun.create({
    data: {
      pullRequestId: pullRequest.id,
      baseSha: "a".repeat(40),
      headSha: String(number).padStart(40, "0"),
      diff: { create: { text: "diff --git a/src/capture.ts b/src/capture.ts\n", paths: ["src/capture.ts"] } },
      diffBytes: 44,
      status: runStatus,
      currentStage: "deployment",
      policyId: policy.id,
      riskScore: 3,
      createdAt: new Date(startedAt - 3_600_000),
      finishedAt: ending === "canary" ? null : new Date(endedAt),
    },
  });

  // Staging: candidate against the production baseline, after the adjustment factor.
  const stagingNext = random(11);
  const adjustmentFactor = 1.25;
  const stagingLatency = { baseline: Array.from({ length: 60 }, () => 300 + stagingNext() * 60), candidate: Array.from({ length: 60 }, () => (250 + stagingNext() * 60) * adjustmentFactor) };
  const stagingErrors = { baseline: Array.from({ length: 60 }, () => 0.1 + stagingNext() * 0.05), candidate: Array.from({ length: 60 }, () => 0.1 + stagingNext() * 0.05) };
  const stagingAnalysis: StagingAnalysis = {
    kind: "staging",
    adjustmentFactor,
    metrics: [compareMetric(metricSpecs.errors, stagingErrors), compareMetric(metricSpecs.latency, stagingLatency)],
  };
  const staging = await db.deployment.create({
    data: {
      runId: run.id,
      environment: "staging",
      strategy: "staging",
      target: "simulated",
      trafficPercent: 100,
      status: "promoted",
      startedAt: new Date(startedAt - 1_800_000),
      finishedAt: new Date(startedAt - 1_200_000),
      analysis: stagingAnalysis,
    },
  });
  await db.deploymentStep.createMany({
    data: [
      { deploymentId: staging.id, kind: "deploy", at: new Date(startedAt - 1_800_000), verdict: "ok", weight: 100, summary: "Deployed the candidate to staging." },
      { deploymentId: staging.id, kind: "smoke_check", at: new Date(startedAt - 1_500_000), verdict: "ok", summary: "Smoke checks passed: 6 of 6." },
      // As the staging agent records it: the comparison is the evaluation step's detail.
      { deploymentId: staging.id, kind: "evaluation", at: new Date(startedAt - 1_200_000), verdict: "pass", summary: "Staging comparison within tolerance.", detail: stagingAnalysis },
    ],
  });

  // The canary: an error-rate spike over the last 3% of intervals when it is to roll back.
  const spikeFrom = ending === "rolled_back" ? Math.floor(samplesPerCohort * 0.97) : null;
  const canarySamples = cohortSamples("canary", samplesPerCohort, startedAt, 21, spikeFrom);
  const baselineSamples = cohortSamples("baseline", samplesPerCohort, startedAt, 22, null);
  const status: DeploymentStatus = ending;
  const canary = await db.deployment.create({
    data: {
      runId: run.id,
      environment: "production",
      strategy: "canary",
      target: "simulated",
      trafficPercent: ending === "promoted" ? 100 : ending === "rolled_back" ? 0 : defaultPolicyRules.deployment.canaryTrafficPercent,
      status,
      startedAt: new Date(startedAt),
      finishedAt: ending === "canary" ? null : new Date(endedAt),
    },
  });
  await insertSamples(db, canary.id, [...canarySamples, ...baselineSamples]);

  type StepInput = { kind: DeploymentStepKind; at: Date; weight?: number; verdict: string; summary: string; detail?: object };
  const steps: StepInput[] = [
    { kind: "deploy", at: new Date(startedAt), weight: 0, verdict: "ok", summary: "Deployed the candidate next to production." },
    { kind: "smoke_check", at: new Date(startedAt + 2_000), verdict: "ok", summary: "Smoke checks passed against the canary." },
    { kind: "set_weight", at: new Date(startedAt + 5_000), weight: 5, verdict: "ok", summary: "Sent 5% of traffic to the canary." },
  ];
  const verdicts: IntervalVerdict[] = [];
  const windowSize = Math.floor(samplesPerCohort / evaluationCount);
  for (let index = 0; index < evaluationCount; index++) {
    const from = index * windowSize;
    const to = index === evaluationCount - 1 ? samplesPerCohort : from + windowSize;
    const canaryWindow = canarySamples.slice(from, to);
    const baselineWindow = baselineSamples.slice(from, to);
    const at = new Date(startedAt + (to - 1) * INTERVAL_MS + 1_000).toISOString();
    const verdict = evaluateInterval({
      at,
      interval: { index, startedAt: canaryWindow[0].at.toISOString(), endedAt: canaryWindow.at(-1)!.at.toISOString() },
      traffic: { canary: traffic(canaryWindow), baseline: traffic(baselineWindow) },
      thresholds,
      metrics: [
        { spec: metricSpecs.errors, baseline: baselineWindow.map((s) => s.errorRate), candidate: canaryWindow.map((s) => s.errorRate) },
        { spec: metricSpecs.latency, baseline: baselineWindow.map((s) => s.p99Ms), candidate: canaryWindow.map((s) => s.p99Ms) },
      ],
    });
    verdicts.push(verdict);
    steps.push({ kind: "evaluation", at: new Date(at), verdict: verdict.verdict, summary: verdict.summary, detail: verdict });
    if (index === Math.floor(evaluationCount / 2) && ending !== "rolled_back") {
      steps.push({ kind: "set_weight", at: new Date(new Date(at).getTime() + 500), weight: 25, verdict: "ok", summary: "Raised the canary to 25% of traffic." });
    }
  }

  const last = verdicts.at(-1)!;
  let rollbackReason: string | null = null;
  let incident: IncidentReport | null = null;
  if (ending === "rolled_back") {
    if (!last.rollback) throw new Error(`the fixture's last evaluation should fail, got ${last.verdict}: ${last.summary}`);
    const tripped = last.rollback;
    rollbackReason = tripped.reason;
    const rolledBackAt = new Date(endedAt);
    steps.push(
      { kind: "rollback", at: rolledBackAt, weight: 0, verdict: "ok", summary: `Rolled back: ${tripped.reason}`, detail: { metric: tripped.metric, value: tripped.value, threshold: tripped.threshold, unit: tripped.unit, at: tripped.at } },
      { kind: "notification", at: new Date(endedAt + 1_000), verdict: "ok", summary: "Notified #deploys about the rollback." },
    );
    incident = {
      title: `Canary of ${repositoryName} #${number} rolled back: error rate above ${thresholds.maxErrorRatePercent}%`,
      summary: `The canary's error rate rose to ${tripped.value.toFixed(2)}% at 5% traffic while the baseline stayed near 0.1%.`,
      provider: "heuristic",
      hypothesis: "The retry loop in src/capture.ts re-sends captures the gateway already accepted, and the duplicates are refused.",
      timeline: steps.filter((s) => s.kind !== "evaluation").map((s) => ({ at: s.at.toISOString(), event: s.summary })),
      trippedMetric: { name: tripped.metric, value: tripped.value, threshold: tripped.threshold, unit: tripped.unit, at: tripped.at },
      suspectFiles: [{ path: "src/capture.ts", reason: "changed the retry policy on gateway timeouts" }],
      notifications: [{ channel: "#deploys", status: "sent" }],
    };
  } else if (ending === "promoted") {
    steps.push({ kind: "promote", at: new Date(endedAt), weight: 100, verdict: "ok", summary: "Promoted: every evaluation passed." });
  }
  await db.deploymentStep.createMany({
    data: steps.map((s) => ({ deploymentId: canary.id, kind: s.kind, at: s.at, weight: s.weight ?? null, verdict: s.verdict, summary: s.summary, detail: s.detail ?? {} })),
  });
  await db.deployment.update({
    where: { id: canary.id },
    data: { rollbackReason, analysis: { kind: "canary", latest: last }, ...(incident ? { incidentReport: incident } : {}) },
  });

  return {
    runId: run.id,
    stagingDeploymentId: staging.id,
    canaryDeploymentId: canary.id,
    spikeErrorRate: spikeFrom === null ? null : Math.max(...canarySamples.slice(spikeFrom).map((s) => s.errorRate)),
    rollbackReason,
    verdicts,
    incidentTitle: incident?.title ?? null,
  };
}
