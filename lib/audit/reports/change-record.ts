import type { Db } from "../../db/client";
import { finishedRunStatuses, stageLabels, type Stage } from "../../pipeline/stages";
import { checkLink, describeBreak, type StoredEvent } from "../chain/chain";
import { withPayload } from "../chain/event-payload";
import { verifyFromCheckpoint } from "../verify/verify-from-checkpoint";

/**
 * The evidence for one change (one pipeline run), assembled for an auditor: every line names the
 * audit events (by sequence number) that back it, so it can be checked against the hash chain.
 */

/** Sequence numbers of the audit events behind a line. */
type Events = string[];

export interface ChangeRequest {
  repository: string;
  pullRequest: { number: number; title: string; description: string; author: string; baseRef: string; headRef: string };
  baseSha: string;
  headSha: string;
  diffBytes: number;
  policyVersion: number;
  submittedBy: string | null;
  submittedAt: string | null;
  supersedes: string[];
  events: Events;
}

export interface StageAttempt {
  attempt: number;
  status: string;
  summary: string | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  output: unknown;
  events: Events;
}

export interface StageSection {
  stage: Stage;
  label: string;
  ran: boolean;
  /** One plain sentence: what happened, or why nothing did. */
  note: string;
  attempts: StageAttempt[];
}

export interface FindingCounts {
  security: number;
  apiBreaking: number;
  performance: number;
  coverage: number;
  total: number;
}

export interface ReviewDecision {
  id: string;
  decidedAt: string;
  agent: string;
  agentVersion: string;
  provider: string;
  model: string | null;
  inputHash: string;
  outcome: string;
  riskScore: number | null;
  rationale: string;
  findings: FindingCounts;
  events: Events;
}

export interface HumanApproval {
  decider: { name: string; email: string; role: string };
  decidedAt: string;
  decision: string;
  rationale: string;
  contextHash: string;
  /** The decision names the same context package the escalation stored. */
  sawStoredPackage: boolean;
  /** Segregation of duties: the decider's email against the pull request's author, both shown. */
  separation: { approverEmail: string; authorEmail: string; distinct: boolean };
  events: Events;
}

export interface EscalationEntry {
  id: string;
  stage: string;
  status: string;
  reasons: string[];
  contextHash: string;
  createdAt: string;
  dueAt: string;
  decidedAt: string | null;
  slaBreachedAt: string | null;
  decisions: HumanApproval[];
  events: Events;
}

export interface MetricSummary {
  cohort: string;
  samples: number;
  requests: number;
  avgErrorRate: number | null;
  maxP99Ms: number | null;
}

export interface DeploymentEntry {
  id: string;
  environment: string;
  strategy: string;
  target: string;
  status: string;
  trafficPercent: number;
  startedAt: string;
  finishedAt: string | null;
  rollbackReason: string | null;
  incidentReport: unknown;
  metrics: MetricSummary[];
  events: Events;
}

export interface ChangeRecord {
  run: { id: string; status: string; currentStage: string | null; riskScore: number | null; createdAt: string; finishedAt: string | null; supersededBy: string | null };
  request: ChangeRequest;
  review: StageSection & { decisions: ReviewDecision[] };
  escalations: EscalationEntry[];
  test: StageSection;
  staging: StageSection & { deployments: DeploymentEntry[] };
  validation: StageSection;
  deployment: StageSection & { deployments: DeploymentEntry[] };
  rollback: { happened: boolean; note: string; deployments: DeploymentEntry[] };
  auditEvents: { sequence: string; occurredAt: string; actorLabel: string; action: string; hash: string }[];
  /** Each event behind this record checked against its own hash and its predecessor's. */
  eventIntegrity: { checked: number; ok: boolean; problems: { sequence: string; description: string }[] };
  /**
   * The whole chain when the record was assembled: verified incrementally from the newest
   * checkpoint (only newer events hashed), together with the last full verification's verdict.
   */
  chain: {
    ok: boolean;
    verifiedThrough: string | null;
    verifiedThroughHash: string | null;
    verifiedAt: string | null;
    eventsChecked: number;
    startedFrom: { sequence: string; mode: string; verifiedAt: string } | null;
    broken: { sequence: string; kind: string; description: string; foundBy: "incremental" | "full" } | null;
    checkedAt: string;
  };
}

type Payload = Record<string, unknown>;
type RunEvent = StoredEvent;

const iso = (date: Date | null) => date?.toISOString() ?? null;
const payloadOf = (event: RunEvent) => (event.payload ?? {}) as Payload;

/** The sequences of the run's events that match. */
function eventsWhere(events: RunEvent[], match: (event: RunEvent, payload: Payload) => boolean): Events {
  return events.filter((e) => match(e, payloadOf(e))).map((e) => e.sequence.toString());
}

async function loadRun(db: Db, runId: string) {
  return db.pipelineRun.findUnique({
    where: { id: runId },
    include: {
      pullRequest: { include: { repository: { select: { id: true, name: true } } } },
      policy: { select: { version: true } },
      stageRuns: { orderBy: [{ queuedAt: "asc" }, { attempt: "asc" }] },
      decisions: {
        orderBy: { createdAt: "asc" },
        select: { id: true, stageRunId: true, agent: true, agentVersion: true, provider: true, model: true, inputHash: true, outcome: true, riskScore: true, rationale: true, output: true, createdAt: true },
      },
      escalations: {
        orderBy: { createdAt: "asc" },
        include: { decisions: { orderBy: { createdAt: "asc" }, include: { user: { select: { name: true, email: true, role: true } } } } },
      },
      deployments: { orderBy: { startedAt: "asc" } },
    },
  });
}
type LoadedRun = NonNullable<Awaited<ReturnType<typeof loadRun>>>;

function request(run: LoadedRun, events: RunEvent[]): ChangeRequest {
  const submitted = events.find((e) => e.action === "run.submitted" && e.subjectId === run.id);
  const supersedes = submitted ? payloadOf(submitted).supersedes : [];
  const pr = run.pullRequest;
  return {
    repository: pr.repository.name,
    pullRequest: { number: pr.number, title: pr.title, description: pr.description, author: pr.author, baseRef: pr.baseRef, headRef: pr.headRef },
    baseSha: run.baseSha,
    headSha: run.headSha,
    diffBytes: run.diffBytes,
    policyVersion: run.policy.version,
    submittedBy: submitted?.actorLabel ?? null,
    submittedAt: iso(submitted?.occurredAt ?? null),
    supersedes: Array.isArray(supersedes) ? supersedes.map(String) : [],
    events: submitted ? [submitted.sequence.toString()] : [],
  };
}

const stageEventActions = new Set(["stage.decided", "stage.errored", "stage.retry_scheduled"]);

function stageAttempts(run: LoadedRun, stage: Stage, events: RunEvent[]): StageAttempt[] {
  return run.stageRuns
    .filter((s) => s.stage === stage)
    .map((s) => ({
      attempt: s.attempt,
      status: s.status,
      summary: s.summary,
      queuedAt: s.queuedAt.toISOString(),
      startedAt: iso(s.startedAt),
      finishedAt: iso(s.finishedAt),
      error: s.error,
      output: s.output,
      // A retry is scheduled by the attempt that failed, so it belongs to that attempt.
      events: eventsWhere(
        events,
        (e, p) => stageEventActions.has(e.action) && p.stage === stage && (p.attempt === s.attempt || p.nextAttempt === s.attempt + 1),
      ),
    }));
}

/** Says plainly why a stage has nothing to show, rather than leaving a blank. */
function stageNote(run: LoadedRun, stage: Stage, attempts: StageAttempt[]): string {
  const last = attempts.at(-1);
  if (last) {
    const status = last.status.replace("_", " ");
    // Summaries often begin with the status already ("Escalated: risk 8 ≥ 7").
    if (!last.summary) return status;
    return last.summary.toLowerCase().startsWith(status) ? last.summary : `${status}: ${last.summary}`;
  }
  if ((finishedRunStatuses as readonly string[]).includes(run.status)) return `not run: the run ended (${run.status.replace("_", " ")}) before this stage`;
  return "not run yet";
}

function stageSection(run: LoadedRun, stage: Stage, events: RunEvent[]): StageSection {
  const attempts = stageAttempts(run, stage, events);
  return { stage, label: stageLabels[stage], ran: attempts.length > 0, note: stageNote(run, stage, attempts), attempts };
}

interface ReviewFindings {
  security_issues?: unknown[];
  api_breaking_changes?: unknown[];
  performance_concerns?: unknown[];
  coverage_gaps?: unknown[];
}

function countFindings(output: unknown): FindingCounts {
  const review = ((output ?? {}) as { review?: ReviewFindings }).review ?? {};
  const counts = {
    security: review.security_issues?.length ?? 0,
    apiBreaking: review.api_breaking_changes?.length ?? 0,
    performance: review.performance_concerns?.length ?? 0,
    coverage: review.coverage_gaps?.length ?? 0,
  };
  return { ...counts, total: counts.security + counts.apiBreaking + counts.performance + counts.coverage };
}

function reviewDecisions(run: LoadedRun, events: RunEvent[]): ReviewDecision[] {
  const reviewStageRuns = new Set(run.stageRuns.filter((s) => s.stage === "review").map((s) => s.id));
  return run.decisions
    .filter((d) => reviewStageRuns.has(d.stageRunId))
    .map((d) => ({
      id: d.id,
      decidedAt: d.createdAt.toISOString(),
      agent: d.agent,
      agentVersion: d.agentVersion,
      provider: d.provider,
      model: d.model,
      inputHash: d.inputHash,
      outcome: d.outcome,
      riskScore: d.riskScore,
      rationale: d.rationale,
      findings: countFindings(d.output),
      events: eventsWhere(events, (e) => e.action === "stage.decided" && e.subjectId === d.id),
    }));
}

const sameEmail = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
const humanDecisionActions = new Set(["escalation.approval_recorded", "escalation.decided"]);

function escalations(run: LoadedRun, events: RunEvent[]): EscalationEntry[] {
  const author = run.pullRequest.author;
  return run.escalations.map((escalation) => {
    const about = (e: RunEvent) => e.subjectType === "escalation" && e.subjectId === escalation.id;
    return {
      id: escalation.id,
      stage: escalation.stage,
      status: escalation.status,
      reasons: escalation.reasonLabels.length > 0 ? escalation.reasonLabels : escalation.reasons,
      contextHash: escalation.contextHash,
      createdAt: escalation.createdAt.toISOString(),
      dueAt: escalation.dueAt.toISOString(),
      decidedAt: iso(escalation.decidedAt),
      slaBreachedAt: iso(escalation.slaBreachedAt),
      events: eventsWhere(events, (e) => about(e) && !humanDecisionActions.has(e.action)),
      decisions: escalation.decisions.map((d) => ({
        decider: d.user,
        decidedAt: d.createdAt.toISOString(),
        decision: d.decision,
        rationale: d.rationale,
        contextHash: d.contextHash,
        sawStoredPackage: d.contextHash === escalation.contextHash,
        separation: { approverEmail: d.user.email, authorEmail: author, distinct: !sameEmail(d.user.email, author) },
        events: eventsWhere(events, (e) => about(e) && humanDecisionActions.has(e.action) && e.actorId === d.userId),
      })),
    };
  });
}

async function metricSummaries(db: Db, deploymentIds: string[]): Promise<Map<string, MetricSummary[]>> {
  const byDeployment = new Map<string, MetricSummary[]>();
  if (deploymentIds.length === 0) return byDeployment;
  const groups = await db.metricSample.groupBy({
    by: ["deploymentId", "cohort"],
    where: { deploymentId: { in: deploymentIds } },
    _count: { _all: true },
    _sum: { requests: true },
    _avg: { errorRate: true },
    _max: { p99Ms: true },
  });
  for (const g of groups) {
    const list = byDeployment.get(g.deploymentId) ?? [];
    list.push({ cohort: g.cohort, samples: g._count._all, requests: g._sum.requests ?? 0, avgErrorRate: g._avg.errorRate, maxP99Ms: g._max.p99Ms });
    byDeployment.set(g.deploymentId, list);
  }
  return byDeployment;
}

function deploymentEntries(run: LoadedRun, events: RunEvent[], metrics: Map<string, MetricSummary[]>): DeploymentEntry[] {
  return run.deployments.map((d) => ({
    id: d.id,
    environment: d.environment,
    strategy: d.strategy,
    target: d.target,
    status: d.status,
    trafficPercent: d.trafficPercent,
    startedAt: d.startedAt.toISOString(),
    finishedAt: iso(d.finishedAt),
    rollbackReason: d.rollbackReason,
    incidentReport: d.incidentReport,
    metrics: metrics.get(d.id) ?? [],
    events: eventsWhere(events, (e, p) => (e.subjectType === "deployment" && e.subjectId === d.id) || p.deploymentId === d.id),
  }));
}

function rollback(run: LoadedRun, deployments: DeploymentEntry[]): ChangeRecord["rollback"] {
  const rolledBack = deployments.filter((d) => d.status === "rolled_back" || d.rollbackReason || d.incidentReport);
  if (rolledBack.length > 0) return { happened: true, note: `${rolledBack.length} deployment(s) rolled back`, deployments: rolledBack };
  if (run.status === "rolled_back") return { happened: true, note: "the run was rolled back; no deployment record names the reason", deployments: [] };
  return { happened: false, note: deployments.length === 0 ? "none: nothing was deployed" : "none: no deployment was rolled back", deployments: [] };
}

/** Each event checked against its own hash and the hash of the event before it (one extra read). */
async function checkEvents(db: Db, events: RunEvent[]): Promise<ChangeRecord["eventIntegrity"]> {
  const wanted = events.map((e) => e.sequence - 1n).filter((s) => s > 0n);
  const predecessors = await db.auditEvent.findMany({ where: { sequence: { in: wanted } }, select: { sequence: true, hash: true } });
  const bySequence = new Map(predecessors.map((p) => [p.sequence, p]));
  const problems: { sequence: string; description: string }[] = [];
  for (const event of events) {
    const previous = bySequence.get(event.sequence - 1n) ?? null;
    if (event.sequence > 1n && !previous) {
      problems.push({ sequence: event.sequence.toString(), description: `event ${event.sequence - 1n} is missing: an event was deleted` });
      continue;
    }
    const problem = checkLink(previous, event);
    if (problem) problems.push({ sequence: event.sequence.toString(), description: describeBreak(problem) });
  }
  return { checked: events.length, ok: problems.length === 0, problems };
}

async function chainNow(db: Db, databaseUrl: string | undefined): Promise<ChangeRecord["chain"]> {
  const status = await verifyFromCheckpoint(db, { databaseUrl });
  const broken = status.broken ? { sequence: status.broken.sequence, kind: status.broken.kind, description: status.broken.description, foundBy: status.broken.foundBy } : null;
  const startedFrom = status.startedFrom ? { sequence: status.startedFrom.sequence, mode: status.startedFrom.mode, verifiedAt: status.startedFrom.verifiedAt } : null;
  const { ok, verifiedThrough, verifiedThroughHash, verifiedAt, eventsChecked, checkedAt } = status;
  return { ok, verifiedThrough, verifiedThroughHash, verifiedAt, eventsChecked, startedFrom, broken, checkedAt };
}

/**
 * The change record for one run, or null when there is no such run. With `databaseUrl` the chain
 * is read with COPY (faster when many events are newer than the last checkpoint).
 */
export async function loadChangeRecord(db: Db, runId: string, options: { databaseUrl?: string } = {}): Promise<ChangeRecord | null> {
  const run = await loadRun(db, runId);
  if (!run) return null;
  const events: RunEvent[] = (await db.auditEvent.findMany({ where: { runId }, orderBy: { sequence: "asc" } })).map(withPayload);
  const [metrics, eventIntegrity, chain] = await Promise.all([
    metricSummaries(db, run.deployments.map((d) => d.id)),
    checkEvents(db, events),
    chainNow(db, options.databaseUrl),
  ]);
  const deployments = deploymentEntries(run, events, metrics);
  return {
    run: { id: run.id, status: run.status, currentStage: run.currentStage, riskScore: run.riskScore, createdAt: run.createdAt.toISOString(), finishedAt: iso(run.finishedAt), supersededBy: run.supersededBy },
    request: request(run, events),
    review: { ...stageSection(run, "review", events), decisions: reviewDecisions(run, events) },
    escalations: escalations(run, events),
    test: stageSection(run, "test", events),
    staging: { ...stageSection(run, "staging", events), deployments: deployments.filter((d) => d.environment === "staging") },
    validation: stageSection(run, "validation", events),
    deployment: { ...stageSection(run, "deployment", events), deployments: deployments.filter((d) => d.environment === "production") },
    rollback: rollback(run, deployments),
    auditEvents: events.map((e) => ({ sequence: e.sequence.toString(), occurredAt: e.occurredAt.toISOString(), actorLabel: e.actorLabel, action: e.action, hash: e.hash })),
    eventIntegrity,
    chain,
  };
}
