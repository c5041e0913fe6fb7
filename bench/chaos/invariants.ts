/**
 * What must hold after a soak, each a query against the database (or the machine) that lists its
 * violations: an invariant holds when its list is empty. Every check prints what it counted, so a
 * report of "0 violations" also says of how many.
 */
import fs from "node:fs";
import pg from "pg";
import { readAnchorFile, verifyAnchors } from "../../lib/audit/verify/anchor-chain-head";
import { verifyAuditChain } from "../../lib/audit/verify/verify-audit-chain";
import type { Db } from "../../lib/db/client";
import { refreshMetricsRollup } from "../../lib/metrics/refresh-metrics-rollup";
import { queryMetrics } from "../../lib/metrics/query-metrics";
import { metricsQuerySchema, resolveFilters, resolveWindow } from "../../lib/metrics/window";
import { requiredApprovalsFor } from "../../lib/policy/approval-rules";
import { policyRulesSchema } from "../../lib/policy/policy-rules";
import type { WorkloadRecord } from "./workload";

export interface InvariantResult {
  name: string;
  /** What was checked, e.g. "412 runs". */
  counted: string;
  violations: string[];
}

export interface InvariantInput {
  db: Db;
  sql: pg.Pool;
  record: WorkloadRecord;
  anchorFile: string;
  workspaceRoot: string;
  /** Sandbox processes left behind (processes.ts: sandboxLeftovers), found by the caller. */
  sandboxLeftovers: string[];
  memory: MemoryVerdict;
  /** Exits of the web server or a runner that nobody asked for (processes.ts). */
  crashes: string[];
}

export interface MemoryVerdict {
  counted: string;
  violations: string[];
}

const TERMINAL = ["done", "failed", "rolled_back", "superseded", "rejected", "changes_requested", "escalated"];
const RECORDED_ATTEMPT = ["passed", "escalated", "failed", "rolled_back", "error"];

async function rows<T extends pg.QueryResultRow>(sql: pg.Pool, text: string, params: unknown[] = []): Promise<T[]> {
  return (await sql.query<T>(text, params)).rows;
}

/** Every submitted run exists (none lost) and ended or waits for a person (none stuck). */
async function runsSettled({ sql, record }: InvariantInput): Promise<InvariantResult> {
  const ids = [...new Set(record.submissions.map((s) => s.runId))];
  const found = await rows<{ id: string; status: string; stage: string | null }>(sql, `SELECT id, status::text, "currentStage"::text AS stage FROM "PipelineRun" WHERE id = ANY($1)`, [ids]);
  const byId = new Map(found.map((r) => [r.id, r]));
  const violations: string[] = [];
  for (const id of ids) {
    const run = byId.get(id);
    if (!run) violations.push(`run ${id}: accepted by the API but not in the database (lost)`);
    else if (!TERMINAL.includes(run.status)) violations.push(`run ${id}: still ${run.status} at ${run.stage} (stuck)`);
  }
  const byStatus = new Map<string, number>();
  for (const run of found) byStatus.set(run.status, (byStatus.get(run.status) ?? 0) + 1);
  const summary = [...byStatus].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} ${n}`).join(", ");
  return { name: "every submitted run reached a terminal or escalated state", counted: `${ids.length} runs (${summary})`, violations };
}

/** At most one decision and one attempt event per stage attempt. */
async function noAttemptTwice({ sql, record }: InvariantInput): Promise<InvariantResult> {
  const ids = [...new Set(record.submissions.map((s) => s.runId))];
  const decisions = await rows<{ id: string; n: number }>(sql, `SELECT "stageRunId" AS id, count(*)::int AS n FROM "AgentDecision" WHERE "runId" = ANY($1) GROUP BY 1 HAVING count(*) > 1`, [ids]);
  const events = await rows<{ run: string; stage: string; attempt: string; n: number }>(
    sql,
    `SELECT "runId" AS run, content::jsonb -> 'payload' ->> 'stage' AS stage, content::jsonb -> 'payload' ->> 'attempt' AS attempt, count(*)::int AS n
       FROM "AuditEvent" WHERE "runId" = ANY($1) AND action IN ('stage.decided', 'stage.errored') GROUP BY 1, 2, 3 HAVING count(*) > 1`,
    [ids],
  );
  const [{ n: attempts }] = await rows<{ n: number }>(sql, `SELECT count(*)::int AS n FROM "StageRun" WHERE "runId" = ANY($1)`, [ids]);
  return {
    name: "no stage attempt recorded twice",
    counted: `${attempts} stage attempts`,
    violations: [
      ...decisions.map((d) => `stage attempt ${d.id}: ${d.n} agent decisions`),
      ...events.map((e) => `run ${e.run} ${e.stage} attempt ${e.attempt}: ${e.n} attempt audit events`),
    ],
  };
}

/** Each recorded attempt has exactly its audit event, and its decision when the event says so. */
async function attemptsComplete({ sql, record }: InvariantInput): Promise<InvariantResult> {
  const ids = [...new Set(record.submissions.map((s) => s.runId))];
  const attempts = await rows<{ id: string; run: string; run_status: string; stage: string; attempt: number; status: string; decisions: number; decided: number; errored: number; decided_subject_ok: number }>(
    sql,
    `SELECT s.id, s."runId" AS run, (SELECT r.status::text FROM "PipelineRun" r WHERE r.id = s."runId") AS run_status, s.stage::text, s.attempt, s.status::text,
            (SELECT count(*)::int FROM "AgentDecision" d WHERE d."stageRunId" = s.id) AS decisions,
            count(e.*) FILTER (WHERE e.action = 'stage.decided')::int AS decided,
            count(e.*) FILTER (WHERE e.action = 'stage.errored')::int AS errored,
            count(e.*) FILTER (WHERE e.action = 'stage.decided' AND EXISTS (SELECT 1 FROM "AgentDecision" d WHERE d.id = e."subjectId" AND d."stageRunId" = s.id))::int AS decided_subject_ok
       FROM "StageRun" s
       LEFT JOIN "AuditEvent" e ON e."runId" = s."runId" AND e.action IN ('stage.decided', 'stage.errored')
                               AND e.content::jsonb -> 'payload' ->> 'stage' = s.stage::text AND (e.content::jsonb -> 'payload' ->> 'attempt')::int = s.attempt
      WHERE s."runId" = ANY($1)
      GROUP BY s.id`,
    [ids],
  );
  const violations: string[] = [];
  let recorded = 0;
  for (const a of attempts) {
    const where = `run ${a.run} ${a.stage} attempt ${a.attempt} (${a.status})`;
    if (RECORDED_ATTEMPT.includes(a.status)) {
      recorded++;
      if (a.decided + a.errored !== 1) violations.push(`${where}: ${a.decided + a.errored} attempt audit events, expected 1`);
      if (a.decided === 1 && (a.decisions !== 1 || a.decided_subject_ok !== 1)) violations.push(`${where}: stage.decided without its agent decision`);
      if (a.errored === 1 && a.decisions !== 0) violations.push(`${where}: an errored attempt with an agent decision`);
    } else if ((a.status === "queued" || a.status === "running") && !["queued", "running", "escalated"].includes(a.run_status)) {
      violations.push(`${where}: left ${a.status} on a run that is ${a.run_status}`);
    } else if (a.decisions + a.decided + a.errored > 0) {
      violations.push(`${where}: not recorded, but has ${a.decisions} decisions and ${a.decided + a.errored} attempt events`);
    }
  }
  return { name: "no decision or audit event duplicated or missing for a recorded attempt (none left open on an ended run)", counted: `${recorded} recorded attempts`, violations };
}

/** Each escalation decided at most once (its policy's approvals), the losers answered 409. */
async function escalationsDecidedOnce({ sql, record }: InvariantInput): Promise<InvariantResult> {
  const ids = [...new Set(record.submissions.map((s) => s.runId))];
  const escalations = await rows<{ id: string; status: string; reasons: string[]; rules: unknown; decisions: number; approvals_audited: number; decided_audited: number }>(
    sql,
    `SELECT x.id, x.status::text, x.reasons, p.rules,
            (SELECT count(*)::int FROM "EscalationDecision" d WHERE d."escalationId" = x.id) AS decisions,
            (SELECT count(*)::int FROM "AuditEvent" e WHERE e."subjectType" = 'escalation' AND e."subjectId" = x.id AND e.action = 'escalation.approval_recorded') AS approvals_audited,
            (SELECT count(*)::int FROM "AuditEvent" e WHERE e."subjectType" = 'escalation' AND e."subjectId" = x.id AND e.action = 'escalation.decided') AS decided_audited
       FROM "Escalation" x JOIN "PipelineRun" r ON r.id = x."runId" JOIN "Policy" p ON p.id = r."policyId"
      WHERE x."runId" = ANY($1)`,
    [ids],
  );
  const violations: string[] = [];
  let decided = 0;
  let losers = 0;
  for (const x of escalations) {
    const required = requiredApprovalsFor(x.reasons, policyRulesSchema.parse(x.rules).escalation.twoApprovalReasons);
    // Cancelled: its run was superseded by a new head; nobody decided it.
    const final = x.status !== "open" && x.status !== "cancelled";
    if (final) decided++;
    if (x.decisions > required) violations.push(`escalation ${x.id}: ${x.decisions} decisions, its policy allows ${required}`);
    if (x.decided_audited !== (final ? 1 : 0)) violations.push(`escalation ${x.id} (${x.status}): ${x.decided_audited} escalation.decided events`);
    if (x.approvals_audited + x.decided_audited !== x.decisions) violations.push(`escalation ${x.id}: ${x.decisions} decisions but ${x.approvals_audited + x.decided_audited} decision audit events`);
    const answers = record.decisions.get(x.id) ?? [];
    const won = answers.filter((a) => a.status === 200).length;
    const retried = answers.filter((a) => a.retried && a.status === 409).length;
    losers += answers.filter((a) => a.status === 409).length;
    for (const a of answers) if (a.status !== 200 && a.status !== 409) violations.push(`escalation ${x.id}: ${a.client} got ${a.status}`);
    // A call retried after a cut may have decided on its first send and then heard 409.
    if (won > x.decisions || x.decisions > won + retried) violations.push(`escalation ${x.id}: ${won} clients were told they decided, ${x.decisions} decisions stored`);
  }
  return { name: "every escalation decided at most once (the losers got 409)", counted: `${escalations.length} escalations, ${decided} decided, ${losers} losing calls answered 409`, violations };
}

/** No live canary went longer than its policy's duration without a step, unless that ended in its rollback. */
async function canariesAttended({ sql, record }: InvariantInput): Promise<InvariantResult> {
  const ids = [...new Set(record.submissions.map((s) => s.runId))];
  const steps = await rows<{ deployment: string; status: string; rules: unknown; kind: string; verdict: string | null; at: Date }>(
    sql,
    `SELECT d.id AS deployment, d.status::text, p.rules, s.kind::text, s.verdict, s.at
       FROM "Deployment" d JOIN "PipelineRun" r ON r.id = d."runId" JOIN "Policy" p ON p.id = r."policyId"
       JOIN "DeploymentStep" s ON s."deploymentId" = d.id
      WHERE d."runId" = ANY($1) AND d.environment = 'production'
      ORDER BY d.id, s.id`,
    [ids],
  );
  const byDeployment = new Map<string, typeof steps>();
  for (const step of steps) byDeployment.set(step.deployment, [...(byDeployment.get(step.deployment) ?? []), step]);
  const violations: string[] = [];
  let longest = 0;
  for (const [id, list] of byDeployment) {
    const status = list[0].status;
    if (["pending", "deploying", "canary"].includes(status)) violations.push(`deployment ${id}: still ${status} after the soak (unattended)`);
    // Steps are stamped on the canary's own clock (simulated seconds), as is the policy's duration.
    const limitMs = policyRulesSchema.parse(list[0].rules).deployment.canaryDurationMinutes * 60_000;
    const start = list.findIndex((s) => s.kind === "set_weight" && s.verdict === "ok");
    if (start < 0) continue;
    // Live from its weight to its rollback or promotion: a report and notification written later
    // (a runner killed between the rollback and the report) follow a canary already at 0%, and
    // are checked by the rollback invariant.
    const ended = list.findIndex((s, i) => i > start && (s.kind === "rollback" || s.kind === "promote"));
    for (let i = start + 1; i <= (ended < 0 ? list.length - 1 : ended); i++) {
      const gap = list[i].at.getTime() - list[i - 1].at.getTime();
      if (list[i].kind !== "rollback") longest = Math.max(longest, gap);
      if (gap > limitMs && list[i].kind !== "rollback") violations.push(`deployment ${id}: ${Math.round(gap / 1000)} s (canary clock) without a step before its ${list[i].kind}, policy allows ${limitMs / 1000} s`);
    }
  }
  return { name: "no canary unattended longer than its policy allows", counted: `${byDeployment.size} production deployments; longest gap between steps not ending in a rollback ${Math.round(longest / 1000)} s of canary time`, violations };
}

/** Every rolled-back canary has its incident report and its notification, delivered. */
async function rollbacksReported({ sql, record }: InvariantInput): Promise<InvariantResult> {
  const ids = [...new Set(record.submissions.map((s) => s.runId))];
  const rolledBack = await rows<{ id: string; report: boolean; notifications: number; delivered: number }>(
    sql,
    `SELECT d.id, d."incidentReport" IS NOT NULL AS report,
            (SELECT count(*)::int FROM "Notification" n WHERE n.event = 'deployment.rolled_back' AND n."subjectId" = d.id) AS notifications,
            (SELECT count(*)::int FROM "Notification" n WHERE n.event = 'deployment.rolled_back' AND n."subjectId" = d.id AND n.status = 'delivered') AS delivered
       FROM "Deployment" d WHERE d."runId" = ANY($1) AND d.environment = 'production' AND d.status = 'rolled_back'`,
    [ids],
  );
  const violations: string[] = [];
  for (const d of rolledBack) {
    if (!d.report) violations.push(`deployment ${d.id}: rolled back without an incident report`);
    if (d.notifications !== 1) violations.push(`deployment ${d.id}: ${d.notifications} rollback notifications`);
    else if (d.delivered !== 1) violations.push(`deployment ${d.id}: its rollback notification was not delivered`);
  }
  return { name: "every rollback has its incident report and notification", counted: `${rolledBack.length} rollbacks`, violations };
}

/** The whole chain verifies from its genesis, and every anchor the runners wrote matches it. */
async function auditChain({ db, anchorFile }: InvariantInput): Promise<InvariantResult> {
  const chain = await verifyAuditChain(db);
  const violations: string[] = [];
  if (!chain.ok) violations.push(`audit chain broken: ${chain.broken?.description}`);
  const anchors = fs.existsSync(anchorFile) ? readAnchorFile(anchorFile) : [];
  if (anchors.length === 0) violations.push("no anchors were written during the soak");
  const check = anchors.length > 0 ? await verifyAnchors(db, anchors) : null;
  if (check && !check.ok) violations.push(`anchors do not match: ${JSON.stringify(check).slice(0, 500)}`);
  return { name: "the audit chain verifies in full and its anchors match", counted: `${chain.eventsChecked} events, ${anchors.length} anchors`, violations };
}

/**
 * The metrics page's numbers read through the rollup equal the same numbers read live: the days
 * are taken out of the rollup's list (what a late change does; the query then reads them live),
 * and rolled up again afterwards.
 */
async function metricsRollupExact({ db, sql }: InvariantInput): Promise<InvariantResult> {
  await refreshMetricsRollup(db);
  const [{ days }] = await rows<{ days: number }>(sql, `SELECT count(*)::int AS days FROM "MetricsRollupDay"`);
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  const queries = [metricsQuerySchema.parse({ from, to: today }), metricsQuerySchema.parse({ from, to: today, bucket: "week", simulated: "exclude" })];
  const withRollup = [];
  for (const q of queries) withRollup.push(await queryMetrics(db, resolveWindow(q), resolveFilters(q)));
  await sql.query(`DELETE FROM "MetricsRollupDay"`);
  const violations: string[] = [];
  for (const [i, q] of queries.entries()) {
    const live = await queryMetrics(db, resolveWindow(q), resolveFilters(q));
    const difference = firstDifference(withRollup[i], live);
    if (difference) violations.push(`metrics for ${JSON.stringify(q)} differ at ${difference}`);
  }
  await refreshMetricsRollup(db);
  if (days === 0) violations.push("the rollup held no day: nothing was compared");
  return { name: "the metrics rollup equals the live query", counted: `${days} rolled-up days, ${queries.length} reports`, violations };
}

/**
 * Where two JSON values first differ ("current.runsDecided: 124 vs 125"), or null when equal.
 * Numbers are equal within 1e-9 relative: the rollup sums per day and then over days, the live
 * query in one go, and floating-point addition depends on its order (last digits only).
 */
function firstDifference(a: unknown, b: unknown, at = ""): string | null {
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], at ? `${at}.${key}` : key);
      if (found) return found;
    }
    return null;
  }
  if (typeof a === "number" && typeof b === "number" && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a))) return null;
  return JSON.stringify(a) === JSON.stringify(b) ? null : `${at}: rollup ${JSON.stringify(a)?.slice(0, 200)} vs live ${JSON.stringify(b)?.slice(0, 200)}`;
}

/** No workspace of a finished attempt, and no process of a sandboxed command, outlived the soak. */
async function nothingLeftBehind({ workspaceRoot, sandboxLeftovers }: InvariantInput): Promise<InvariantResult> {
  const workspaces = fs.existsSync(workspaceRoot) ? fs.readdirSync(workspaceRoot) : [];
  return {
    name: "no workspace or sandbox process left behind",
    counted: `${workspaces.length} workspaces, ${sandboxLeftovers.length} sandbox processes`,
    violations: [...workspaces.map((w) => `workspace left behind: ${w}`), ...sandboxLeftovers.map((p) => `sandbox process left behind: ${p}`)],
  };
}

export async function checkInvariants(input: InvariantInput): Promise<InvariantResult[]> {
  const checks = [runsSettled, noAttemptTwice, attemptsComplete, escalationsDecidedOnce, canariesAttended, rollbacksReported, auditChain, metricsRollupExact, nothingLeftBehind];
  const results: InvariantResult[] = [];
  for (const check of checks) {
    try {
      results.push(await check(input));
    } catch (err) {
      results.push({ name: check.name, counted: "(the check itself failed)", violations: [String((err as Error).stack ?? err)] });
    }
  }
  results.push({ name: "runner and server memory flat across the soak", ...input.memory });
  results.push({ name: "no web server or runner exited on its own", counted: `${input.crashes.length} unexpected exits`, violations: input.crashes });
  return results;
}
