import { contentHash, eventContent, GENESIS_HASH, type StoredEvent } from "@/lib/audit/chain/chain";

/** An event with the canonical content its hash was computed over, kept so it is written as is. */
export type SeededEvent = StoredEvent & { content: string };

type Query = (text: string, params: unknown[]) => Promise<unknown>;

/**
 * Inserts already-chained events in one statement (unnest of arrays): appending many thousands
 * one by one through appendAuditEvent would dominate a test or benchmark.
 */
export async function insertChainedEvents(query: Query, events: (StoredEvent | SeededEvent)[]) {
  if (events.length === 0) return;
  await query(
    `INSERT INTO "AuditEvent" (content, "prevHash", hash) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
    [events.map((e) => ("content" in e ? e.content : eventContent(e))), events.map((e) => e.prevHash), events.map((e) => e.hash)],
  );
}

/**
 * SQL that edits one field of an event (a path such as "payload,unicode") the only way left to a
 * database admin: in its hashed content, from which PostgreSQL generates the other columns. The
 * result is jsonb text, no longer canonical JSON. Run it with the append-only trigger disabled.
 */
export function editEventSql(sequence: number, path: string, valueJson: string) {
  return `UPDATE "AuditEvent" SET content = jsonb_set(content::jsonb, '{${path}}', '${valueJson.replaceAll("'", "''")}')::text WHERE sequence = ${sequence}`;
}

export interface ChainShape {
  /** The first event's sequence; the chain continues one that ends just before it. */
  firstSequence?: number;
  /** The hash the first event links to (the genesis hash for sequence 1). */
  prevHash?: string;
  /** The first event's time. */
  startAt?: number;
  /** Time between two events (10 ms unless set: a benchmark spreads them over months). */
  spacingMs?: number;
  /** Label of the people among the actors (a forged chain uses another). */
  actorLabel?: string;
  repositories?: number;
  /**
   * "compact" (the default): one small payload for every event, what the tests need. "engine": the
   * actions and payload shapes the pipeline really writes, in the mix and at the sizes measured on
   * the demo's runs (see engineShapedEvent).
   */
  payloads?: "compact" | "engine";
}

/**
 * A valid chain shaped like the engine's (a run id, a repository, a payload of a few fields, a
 * person every third event), each hashed over its canonical content (kept beside it for the insert), in
 * batches so millions never sit in memory.
 */
export function* chainBatches(count: number, shape: ChainShape = {}, batchSize = 5000): Generator<SeededEvent[]> {
  let prevHash = shape.prevHash ?? GENESIS_HASH;
  const first = shape.firstSequence ?? 1;
  const start = shape.startAt ?? Date.UTC(2026, 0, 1);
  const repositories = shape.repositories ?? 20;
  const spacing = shape.spacingMs ?? 10;
  for (let from = first; from < first + count; from += batchSize) {
    const batch: SeededEvent[] = [];
    for (let i = from; i < Math.min(from + batchSize, first + count); i++) {
      const person = i % 3 === 0;
      const content = {
        sequence: BigInt(i),
        occurredAt: new Date(start + (i - first) * spacing),
        actorType: person ? "user" : "agent",
        actorId: person ? `user-${i % 17}` : "review",
        actorLabel: person ? `${shape.actorLabel ?? "person"}${i % 17}@example.com` : "review agent",
        subjectType: "run",
        subjectId: `run-${Math.floor(i / 8)}`,
        runId: `run-${Math.floor(i / 8)}`,
        repositoryId: `repo-${i % repositories}`,
        ...(shape.payloads === "engine"
          ? engineShapedEvent(i)
          : {
              action: ["run.submitted", "stage.decided", "run.escalated", "escalation.decided"][i % 4],
              payload: { stage: "review", risk: i % 10, reasons: ["large_diff", "touches_auth"], note: `decision ${i}, "quoted"` },
            }),
      };
      const text = eventContent(content);
      const hash = contentHash(prevHash, text);
      batch.push({ ...content, content: text, prevHash, hash });
      prevHash = hash;
    }
    yield batch;
  }
}

export function buildChain(count: number, shape: ChainShape = {}): SeededEvent[] {
  return [...chainBatches(count, shape)].flat();
}

/**
 * One event of the engine's own making: its action and a payload of the same shape and about the
 * same size as the pipeline writes. Measured on the demo (12 pull requests through the whole
 * pipeline, 101 events): stored content 1,140 bytes on average; stage.decided about 1,050 (31 of
 * the 101), deployment.evaluation about 3,400 (16: one per canary interval), run.submitted 560 (12),
 * smoke checks and deploy steps about 460 (18), run.escalated 650 (7). The cycle below keeps those
 * proportions (about 1,040 bytes on average), so a benchmark hashes and reads what a real log holds.
 */
export function engineShapedEvent(i: number): { action: string; payload: Record<string, unknown> } {
  const pullRequest = 1 + Math.floor(i / 20);
  const hex = (salt: number) => (BigInt(i) * 2654435761n + BigInt(salt)).toString(16).padStart(16, "0").repeat(4).slice(0, 64);
  const latency = 440 + (i % 50);
  const stage = ["review", "test", "staging", "validation", "deployment"][i % 5];
  switch (ENGINE_MIX[i % ENGINE_MIX.length]) {
    case "stage.decided":
      return {
        action: "stage.decided",
        payload: {
          agentVersion: `${stage}-1`,
          attempt: 1,
          inputHash: hex(1),
          model: stage === "review" ? "claude-sonnet-4-5" : null,
          outcome: i % 7 === 0 ? "escalate" : "pass",
          provider: stage === "review" ? "anthropic" : "statistics",
          pullRequest,
          rationale:
            `The canary ran at 5% for 10 minutes (compressed clock: 60 simulated seconds per second). Every interval stayed within error rate ≤ 0.5% and p99 ≤ 800 ms, ` +
            `and the statistical comparison with the baseline passed (pass: thresholds ok (error rate 0.${i % 50}% (${i % 97} errors in 29940 requests) ≤ 0.5%; p99 latency ${latency}.5 ms ≤ 800 ms ` +
            `over 29940 requests); statistics pass (score 100 (2 pass, 0 marginal, 0 fail, 0 no data) ≥ pass threshold 95)). Promoted to 100%. Findings cited: src/orders/${i % 13}.ts:${i % 400} ` +
            `changes a query without an index; src/auth/session.ts:${i % 90} touches authentication.`,
          requiresHuman: i % 7 === 0,
          riskScore: i % 100,
          stage,
          summary: `Canary passed 10 intervals at 5% and was promoted to 100% (change ${i})`,
        },
      };
    case "deployment.evaluation":
      return {
        action: "deployment.evaluation",
        payload: {
          detail: {
            hardThresholds: {
              breaches: [],
              checks: ["error_rate_percent", "p99_latency_ms"].map((metric) => ({
                metric,
                reason: `${metric} ${latency}.5 within its threshold over 29940 requests (interval ${i % 10})`,
                status: "ok",
                threshold: metric === "p99_latency_ms" ? 800 : 0.5,
                value: metric === "p99_latency_ms" ? latency + 0.5 : (i % 50) / 100,
              })),
              minRequests: 200,
              requests: 29940,
              verdict: "ok",
            },
            interval: { index: i % 10, startedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() },
            rollback: null,
            statistics: {
              counts: { fail: 0, marginal: 0, no_data: 0, pass: 2 },
              metrics: ["p99_latency_ms", "error_rate"].map((name) => ({
                allowedShift: 90.12,
                baseline: { count: 40, dropped: 0, mean: latency + 0.29249999999985, median: latency + 0.6, p99: latency + 18.948 },
                candidate: { count: 40, dropped: 0, mean: latency + 3.73, median: latency + 2.3, p99: latency + 90.182 },
                critical: true,
                direction: "increase_is_bad",
                interval: { confidenceLevel: 0.98, lower: -15.100000000000023, upper: 18.19999999999999 },
                name,
                pValue: 0.39564915014441265,
                probabilityWorse: 0.5175,
                reason:
                  `${name}: shift +1.5 ms (98% CI −15.1 ms to +18.2 ms) is within the allowed increase of 90.12 ms (20% of the baseline median ${latency}.6 ms); ` +
                  `baseline median ${latency}.6 ms, candidate ${latency + 2}.3 ms; one-sided p = 0.396`,
                relativeShift: 0.003328894806924101,
                shift: 1.5,
                tolerance: 0.2,
                unit: "ms",
                verdict: "pass",
                weight: 1,
              })),
              reason: "score 100 (2 pass, 0 marginal, 0 fail, 0 no data) ≥ pass threshold 95",
              score: 100,
              verdict: "pass",
            },
            traffic: {
              baseline: { errorRatePercent: 0.10197634008495104, errors: 581, p99LatencyMs: latency - 0.8, requests: 569740 },
              canary: { errorRatePercent: 0.12024048096192384, errors: i % 97, p99LatencyMs: latency + 0.5, requests: 29940 },
            },
          },
          environment: "production",
          pullRequest,
          step: String(i % 60),
          summary: `Interval ${1 + (i % 10)} of 10: pass: thresholds ok; statistics pass (score 100 ≥ pass threshold 95)`,
          verdict: "pass",
          weight: 5,
        },
      };
    case "run.submitted":
      return {
        action: "run.submitted",
        payload: {
          author: `dev${i % 40}@example.com`,
          baseSha: hex(2).slice(0, 40),
          diffBytes: 500 + (i % 5000),
          headSha: hex(3).slice(0, 40),
          policyVersion: 1,
          pullRequest,
          repository: `repo-${i % 20}`,
          supersedes: [],
          title: `Recommend products on the order page (${i})`,
        },
      };
    case "run.escalated":
      return {
        action: "run.escalated",
        payload: {
          contextHash: hex(4),
          reasons: [
            {
              code: "staging_regression",
              detail: `p99_latency_ms: the whole interval is beyond the allowed increase of 88.33 ms: shift +${i % 300} ms; baseline median ${latency}.6 ms; one-sided p = 1.53e-9`,
              label: "p99_latency_ms fail (+63%)",
              threshold: 88.33,
              value: 279.03076923076924,
            },
          ],
          stage: "validation",
        },
      };
    default:
      return {
        action: "deployment.smoke_check",
        payload: { environment: "staging", pullRequest, step: String(i % 60), summary: `GET /api/orders: passed on the simulated service (200, ${latency} ms)`, verdict: "ok", weight: null },
      };
  }
}

/** Twenty events in the demo's proportions (see engineShapedEvent). */
const ENGINE_MIX = [
  ...Array<string>(6).fill("stage.decided"),
  ...Array<string>(3).fill("deployment.evaluation"),
  ...Array<string>(3).fill("run.submitted"),
  ...Array<string>(2).fill("run.escalated"),
  ...Array<string>(6).fill("deployment.smoke_check"),
];
