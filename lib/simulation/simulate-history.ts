import { appendAuditEvent, type AuditActor } from "../audit/chain/append-audit-event";
import type { Db, Prisma } from "../db/client";
import { parseUnifiedDiff } from "../diff/unified-diff";
import { contextPackageHash, type ContextPackage } from "../escalations/context-package";
import { runDiffRow } from "../runs/run-diff";
import { generateHistory, type SimulatedHistory } from "./history-model";

/**
 * Writes a simulated history into the real pipeline tables (PipelineRun.simulated = true) and
 * deletes it again. Rows go in with multi-row INSERT … SELECT FROM unnest(…) in batches, in one
 * transaction: an interrupted generation leaves nothing behind. The audit log gets one event per
 * generation or deletion, not one per simulated decision (docs/decisions/008-metrics-definitions.md).
 */

export const SIMULATED_LOCATION_PREFIX = "simulated://";
const BATCH = 5000;
const SIMULATED_DIFF = "diff --git a/src/simulated.ts b/src/simulated.ts\n--- a/src/simulated.ts\n+++ b/src/simulated.ts\n@@ -1 +1 @@\n-export const simulated = false;\n+export const simulated = true;\n";

export interface SimulateHistoryOptions {
  days: number;
  prsPerDay: number;
  seed: number;
  now?: Date;
  actor: AuditActor;
  log?: (line: string) => void;
}

export interface SimulateHistoryResult {
  repositories: number;
  pullRequests: number;
  runs: number;
  stageRuns: number;
  escalations: number;
  deployments: number;
  seconds: number;
}

type Column = { name: string; type: string };
type Tx = Prisma.TransactionClient;

const iso = (at: Date | null) => (at ? at.toISOString() : null);

interface InsertSpec {
  table: string;
  /** The table's columns, in the order `select` produces them. */
  columns: string[];
  /** One array parameter per source column; `select` reads them by these names. */
  source: Column[];
  select: string;
  /** Values the same for every row, referred to in `select` as :c0, :c1 … */
  constants?: unknown[];
}

/** INSERT … SELECT FROM unnest(…): one statement per batch, one array parameter per column. */
async function insertRows(tx: Tx, spec: InsertSpec, rows: unknown[][]) {
  const unnest = spec.source.map((column, index) => `$${index + 1}::${column.type}[]`).join(", ");
  const aliases = spec.source.map((column) => `"${column.name}"`).join(", ");
  const constants = spec.constants ?? [];
  const select = spec.select.replace(/:c(\d+)/g, (_, n: string) => `$${spec.source.length + Number(n) + 1}`);
  const sql = `INSERT INTO "${spec.table}" (${spec.columns.map((c) => `"${c}"`).join(", ")}) SELECT ${select} FROM unnest(${unnest}) AS u(${aliases})`;
  for (let offset = 0; offset < rows.length; offset += BATCH) {
    const batch = rows.slice(offset, offset + BATCH);
    await tx.$executeRawUnsafe(sql, ...spec.source.map((_, index) => batch.map((row) => row[index])), ...constants);
  }
}

const text = (...names: string[]): Column[] => names.map((name) => ({ name, type: "text" }));

export async function countSimulatedRuns(db: Db | Tx): Promise<number> {
  return db.pipelineRun.count({ where: { simulated: true } });
}

export async function simulateHistory(db: Db, options: SimulateHistoryOptions): Promise<SimulateHistoryResult> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const now = options.now ?? new Date();
  const deciders = await db.user.findMany({ where: { role: { in: ["reviewer", "admin"] }, disabledAt: null }, orderBy: { email: "asc" }, select: { id: true } });
  const policy = (await db.policy.findFirst({ where: { active: true }, select: { id: true } })) ?? (await db.policy.findFirst({ orderBy: { version: "desc" }, select: { id: true } }));
  if (!policy) throw new Error("no policy yet: start Flowgate once (it creates the default policy) before simulating a history");

  log(`simulating ${options.days} days at about ${options.prsPerDay} pull requests a day (seed ${options.seed})`);
  const history = generateHistory({ days: options.days, prsPerDay: options.prsPerDay, seed: options.seed, now, deciders: deciders.length });
  log(`generated ${history.runs.length} runs for ${history.pullRequests.length} pull requests in ${((performance.now() - started) / 1000).toFixed(1)} s; writing`);

  await db.$transaction(
    async (tx) => {
      if ((await countSimulatedRuns(tx)) > 0) {
        throw new SimulatedHistoryExistsError();
      }
      await writeHistory(tx, history, { policyId: policy.id, deciderIds: deciders.map((d) => d.id), log });
      await appendAuditEvent(tx, {
        actor: options.actor,
        action: "simulation.generated",
        subject: { type: "simulation", id: `seed-${options.seed}` },
        payload: {
          seed: options.seed,
          days: options.days,
          prsPerDay: options.prsPerDay,
          until: now.toISOString(),
          repositories: history.repositories.map((r) => r.name),
          pullRequests: history.pullRequests.length,
          runs: history.runs.length,
          deployments: history.deployments.length,
          escalations: history.escalations.length,
        },
      });
    },
    { timeout: 15 * 60_000, maxWait: 30_000 },
  );
  const seconds = (performance.now() - started) / 1000;
  log(`wrote the simulated history in ${seconds.toFixed(1)} s`);
  return {
    repositories: history.repositories.length,
    pullRequests: history.pullRequests.length,
    runs: history.runs.length,
    stageRuns: history.stageRuns.length,
    escalations: history.escalations.length,
    deployments: history.deployments.length,
    seconds,
  };
}

export class SimulatedHistoryExistsError extends Error {
  constructor() {
    super("a simulated history already exists; delete it first with `npm run ctl -- simulate-history --delete`");
    this.name = "SimulatedHistoryExistsError";
  }
}

function simulatedPackage(escalation: SimulatedHistory["escalations"][number], lookups: Lookups): ContextPackage {
  const run = lookups.run.get(escalation.runId)!;
  const pullRequest = lookups.pullRequest.get(run.pullRequestId)!;
  return {
    version: 1,
    reasons: escalation.reasons.map((code) => ({ code: code as ContextPackage["reasons"][number]["code"], label: code.replaceAll("_", " "), detail: "Simulated escalation (ctl simulate-history)." })),
    change: {
      repository: lookups.repository.get(pullRequest.repositoryId)!.name,
      pullRequest: { number: pullRequest.number, title: pullRequest.title, author: pullRequest.author },
      headSha: run.headSha,
      files: [{ path: "src/simulated.ts", status: "modified", additions: 1, deletions: 1, binary: false }],
      additions: 1,
      deletions: 1,
    },
    findings: [],
    notChecked: ["This escalation is simulated: no agent looked at a change."],
    history: { authorRecentRuns: [], sameFiles: [] },
    suggestion: null,
  };
}

type Lookups = {
  run: Map<string, SimulatedHistory["runs"][number]>;
  pullRequest: Map<string, SimulatedHistory["pullRequests"][number]>;
  repository: Map<string, SimulatedHistory["repositories"][number]>;
};

async function writeHistory(tx: Tx, history: SimulatedHistory, options: { policyId: string; deciderIds: string[]; log: (line: string) => void }) {
  const lookups: Lookups = {
    run: new Map(history.runs.map((r) => [r.id, r])),
    pullRequest: new Map(history.pullRequests.map((p) => [p.id, p])),
    repository: new Map(history.repositories.map((r) => [r.id, r])),
  };
  const now = new Date().toISOString();

  // A name already taken by a real repository gets a suffix; simulated ones are marked in settings.
  const taken = new Set((await tx.repository.findMany({ select: { name: true } })).map((r) => r.name));
  for (const repository of history.repositories) {
    while (taken.has(repository.name)) repository.name = `${repository.name}-2`;
  }
  await insertRows(
    tx,
    {
      table: "Repository",
      columns: ["id", "name", "kind", "location", "settings", "updatedAt"],
      source: text("id", "name", "location", "settings"),
      select: `id, name, 'remote'::"RepositoryKind", location, settings::jsonb, :c0::timestamp`,
      constants: [now],
    },
    history.repositories.map((r) => [r.id, r.name, `${SIMULATED_LOCATION_PREFIX}${r.name}`, JSON.stringify({ simulated: true, teams: r.teams })]),
  );

  await insertRows(
    tx,
    {
      table: "PullRequest",
      columns: ["id", "repositoryId", "number", "title", "author", "baseRef", "headRef", "openedAt", "createdAt"],
      source: [...text("id", "repositoryId"), { name: "number", type: "int" }, ...text("title", "author", "headRef", "openedAt")],
      select: `id, "repositoryId", number, title, author, 'main', "headRef", "openedAt"::timestamp, "openedAt"::timestamp`,
    },
    history.pullRequests.map((p) => [p.id, p.repositoryId, p.number, p.title, p.author, p.headRef, iso(p.openedAt)]),
  );
  options.log(`  ${history.pullRequests.length} pull requests`);

  await insertRows(
    tx,
    {
      table: "PipelineRun",
      columns: ["id", "pullRequestId", "baseSha", "headSha", "diffBytes", "status", "currentStage", "policyId", "riskScore", "simulated", "supersededBy", "createdAt", "updatedAt", "finishedAt"],
      source: [...text("id", "pullRequestId", "headSha", "status", "currentStage"), { name: "riskScore", type: "int" }, ...text("supersededBy", "createdAt", "finishedAt")],
      select: `id, "pullRequestId", repeat('0', 40), "headSha", octet_length(:c0), status::"RunStatus", "currentStage"::"Stage", :c1, "riskScore", true,
               "supersededBy", "createdAt"::timestamp, "finishedAt"::timestamp, "finishedAt"::timestamp`,
      constants: [SIMULATED_DIFF, options.policyId],
    },
    history.runs.map((r) => [r.id, r.pullRequestId, r.headSha, r.status, r.currentStage, r.riskScore, r.supersededBy, iso(r.createdAt), iso(r.finishedAt)]),
  );
  const simulatedDiff = runDiffRow(SIMULATED_DIFF, parseUnifiedDiff(SIMULATED_DIFF));
  await tx.$executeRaw`
    INSERT INTO "RunDiff" ("runId", text, paths, facts)
    SELECT id, ${simulatedDiff.text}, ${simulatedDiff.paths}::text[], ${JSON.stringify(simulatedDiff.facts)}::jsonb FROM unnest(${history.runs.map((r) => r.id)}::text[]) AS id`;
  options.log(`  ${history.runs.length} runs`);

  await insertRows(
    tx,
    {
      table: "StageRun",
      columns: ["id", "runId", "stage", "attempt", "status", "summary", "queuedAt", "startedAt", "finishedAt"],
      source: [...text("id", "runId", "stage"), { name: "attempt", type: "int" }, ...text("status", "summary", "queuedAt", "startedAt", "finishedAt")],
      select: `id, "runId", stage::"Stage", attempt, status::"StageStatus", summary, "queuedAt"::timestamp, "startedAt"::timestamp, "finishedAt"::timestamp`,
    },
    history.stageRuns.map((s) => [s.id, s.runId, s.stage, s.attempt, s.status, s.summary, iso(s.queuedAt), iso(s.startedAt), iso(s.finishedAt)]),
  );
  options.log(`  ${history.stageRuns.length} stage attempts`);

  const packages = history.escalations.map((e) => simulatedPackage(e, lookups));
  const hashes = packages.map((pkg) => contextPackageHash(pkg));
  await insertRows(
    tx,
    {
      table: "Escalation",
      columns: ["id", "runId", "stage", "reasons", "reasonLabels", "contextPackage", "contextHash", "status", "dueAt", "createdAt", "decidedAt"],
      source: text("id", "runId", "stage", "reasons", "reasonLabels", "contextPackage", "contextHash", "status", "dueAt", "createdAt", "decidedAt"),
      select: `id, "runId", stage::"Stage", ARRAY(SELECT jsonb_array_elements_text(reasons::jsonb)), ARRAY(SELECT jsonb_array_elements_text("reasonLabels"::jsonb)),
               "contextPackage"::jsonb, "contextHash", status::"EscalationStatus", "dueAt"::timestamp, "createdAt"::timestamp, "decidedAt"::timestamp`,
    },
    history.escalations.map((e, index) => [
      e.id,
      e.runId,
      e.stage,
      JSON.stringify(e.reasons),
      JSON.stringify(packages[index].reasons.map((r) => r.label)),
      JSON.stringify(packages[index]),
      hashes[index],
      e.status,
      iso(e.dueAt),
      iso(e.createdAt),
      iso(e.decidedAt),
    ]),
  );
  const decisions = options.deciderIds.length === 0 ? [] : history.escalations.flatMap((e, index) => e.decisions.map((d) => ({ ...d, escalationId: e.id, contextHash: hashes[index] })));
  await insertRows(
    tx,
    {
      table: "EscalationDecision",
      columns: ["id", "escalationId", "userId", "decision", "rationale", "contextHash", "createdAt"],
      source: text("id", "escalationId", "userId", "decision", "contextHash", "createdAt"),
      select: `id, "escalationId", "userId", decision::"HumanDecision", :c0, "contextHash", "createdAt"::timestamp`,
      constants: ["Simulated decision (ctl simulate-history); no person decided this."],
    },
    decisions.map((d) => [d.id, d.escalationId, options.deciderIds[d.userIndex], d.decision, d.contextHash, iso(d.createdAt)]),
  );
  options.log(`  ${history.escalations.length} escalations, ${decisions.length} decisions`);

  await insertRows(
    tx,
    {
      table: "Deployment",
      columns: ["id", "runId", "environment", "strategy", "target", "trafficPercent", "status", "startedAt", "finishedAt", "rollbackReason", "incidentReport"],
      source: [...text("id", "runId", "status"), { name: "trafficPercent", type: "float8" }, ...text("startedAt", "finishedAt", "rollbackReason", "incidentReport")],
      select: `id, "runId", 'production'::"Environment", 'canary', 'simulated', "trafficPercent", status::"DeploymentStatus", "startedAt"::timestamp, "finishedAt"::timestamp,
               "rollbackReason", "incidentReport"::jsonb`,
    },
    history.deployments.map((d) => [d.id, d.runId, d.status, d.status === "promoted" ? 100 : 0, iso(d.startedAt), iso(d.finishedAt), d.rollbackReason, d.incidentReport ? JSON.stringify(d.incidentReport) : null]),
  );
  options.log(`  ${history.deployments.length} production deployments`);
}

export interface DeleteSimulatedResult {
  runs: number;
  pullRequests: number;
  repositories: number;
}

/**
 * Deletes every simulated run (its stage attempts, escalations, decisions and deployments go with
 * it), then the pull requests and simulated repositories left without runs. Real runs, and real
 * pull requests that also have simulated runs, are kept.
 */
export async function deleteSimulatedHistory(db: Db, options: { actor: AuditActor; log?: (line: string) => void }): Promise<DeleteSimulatedResult> {
  const log = options.log ?? (() => {});
  return db.$transaction(
    async (tx) => {
      const touched = await tx.$queryRaw<{ id: string }[]>`SELECT DISTINCT "pullRequestId" AS id FROM "PipelineRun" WHERE simulated`;
      const runs = await tx.$executeRaw`DELETE FROM "PipelineRun" WHERE simulated`;
      log(`deleted ${runs} simulated runs with their stage attempts, escalations and deployments`);
      const pullRequests = await tx.$executeRawUnsafe(
        `DELETE FROM "PullRequest" pr WHERE pr.id = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM "PipelineRun" r WHERE r."pullRequestId" = pr.id)`,
        touched.map((row) => row.id),
      );
      const repositories = await tx.$executeRawUnsafe(
        `DELETE FROM "Repository" repo WHERE repo.location LIKE $1 AND (repo.settings->>'simulated')::boolean IS TRUE
            AND NOT EXISTS (SELECT 1 FROM "PullRequest" pr WHERE pr."repositoryId" = repo.id)`,
        `${SIMULATED_LOCATION_PREFIX}%`,
      );
      log(`deleted ${pullRequests} simulated pull requests and ${repositories} simulated repositories`);
      if (runs > 0 || repositories > 0) {
        await appendAuditEvent(tx, { actor: options.actor, action: "simulation.deleted", subject: { type: "simulation", id: "all" }, payload: { runs, pullRequests, repositories } });
      }
      return { runs, pullRequests, repositories };
    },
    { timeout: 15 * 60_000, maxWait: 30_000 },
  );
}
