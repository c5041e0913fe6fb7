/**
 * A runner process for bench/engine.ts: the real engine (graphile-worker `run()` with the real
 * task list, runStageJob, recordStageOutcome, audit events, heartbeat and lease sweep) with stub
 * agents that answer at once, so what is measured is the engine's own overhead.
 *
 * Configured like agents/runner.ts (DATABASE_URL, RUNNER_CONCURRENCY, default 2). Started by the
 * benchmark over an IPC channel: it reports `ready` once set up and claims nothing until told
 * `go`, so every runner of a round starts claiming at the same moment. `pause` stops its workers
 * (graphile-worker's runner.stop()) without ending the process, so a warmed-up process can wait
 * while the benchmark queues a backlog. Run by hand (no IPC channel) it simply works.
 */
import { createHash } from "node:crypto";
import { run, type Runner } from "graphile-worker";
import { runStageJob } from "../agents/engine/run-stage-job";
import { queueLogger, startRunnerHeartbeat } from "../agents/engine/runner-heartbeat";
import type { StageAgent, StageAgentResult, StageContext } from "../agents/engine/stage-agent";
import { createPrismaClient } from "../lib/db/client";
import { parseEnv, runtimeEnvSchema } from "../lib/env";
import { taskList } from "../lib/jobs/catalog";
import { log as rootLog } from "../lib/log";
import type { Stage } from "../lib/pipeline/stages";

const LEASE_SECONDS = 30;
const STUB_VERSION = "bench-stub-1";

export type RunnerMessage = { type: "ready"; runnerId: string } | { type: "paused" };
/** `go` starts claiming jobs; `pause` stops claiming (in-flight jobs finish) and keeps the process warm. */
export type BenchMessage = { type: "go" } | { type: "pause" };

const log = rootLog.child({ component: "bench-runner" });

/** An agent that decides every change at once (pass, or fail), with a decision shaped like a real one. */
function stubAgent(stage: Stage, kind: "pass" | "fail" = "pass"): StageAgent {
  return {
    stage,
    async run(context: StageContext): Promise<StageAgentResult> {
      const inputHash = createHash("sha256").update(`${context.run.baseSha}...${context.run.headSha}`).digest("hex");
      return {
        outcome: { kind, summary: `${stage} stub: ${kind === "pass" ? "passed" : "failed"}` },
        decision: {
          agent: `${stage}-stub`,
          agentVersion: STUB_VERSION,
          provider: "stub",
          model: null,
          inputHash,
          riskScore: stage === "review" ? 1 : null,
          output: { stub: true },
          rationale: "Benchmark stub: decides without looking.",
          requiresHuman: false,
          prompt: null,
          response: null,
          inputTokens: null,
          outputTokens: null,
          latencyMs: 0,
        },
        stageOutput: { stub: true },
      };
    },
  };
}

async function main() {
  // Only what a runner needs: the web app's variables (NEXTAUTH_SECRET) are irrelevant here.
  const config = parseEnv(runtimeEnvSchema.pick({ DATABASE_URL: true, RUNNER_CONCURRENCY: true }));
  const db = createPrismaClient(config.DATABASE_URL);
  const heartbeat = await startRunnerHeartbeat({ db, log, concurrency: config.RUNNER_CONCURRENCY, leaseSeconds: LEASE_SECONDS, idPrefix: "bench-" });

  // Two stage jobs per run: review passes, and test ends the run (failed), so staging and later
  // stages (never reached) cost nothing.
  const agents = {
    review: stubAgent("review"),
    test: stubAgent("test", "fail"),
    staging: stubAgent("staging"),
    validation: stubAgent("validation"),
    deployment: stubAgent("deployment"),
  };

  const startWorkers = async () => {
    const started = await run({
      events: heartbeat.workerEvents(),
      connectionString: config.DATABASE_URL,
      concurrency: config.RUNNER_CONCURRENCY,
      taskList: taskList({ runStage: (payload) => runStageJob({ db, log, agents }, payload) }),
      logger: queueLogger(log),
      noHandleSignals: true,
      // Claims are pushed by LISTEN/NOTIFY; polling is only the fallback (as in agents/runner.ts).
      pollInterval: 1000,
    });
    started.promise.catch(crash);
    return started;
  };

  let runner: Runner | undefined;
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    // A pause may be stopping the same runner right now; stopping it twice is harmless here.
    await runner?.stop().catch(() => {});
    await heartbeat.stop();
    await db.$disconnect();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown());
  process.on("SIGINT", () => void shutdown());
  // The benchmark went away (crashed or killed): do not outlive it.
  process.on("disconnect", () => void shutdown());

  // Run by hand, without the benchmark: just work.
  if (!process.send) {
    runner = await startWorkers();
    return;
  }
  // Messages are handled one after another so a `go` never overtakes the `pause` before it.
  let queue = Promise.resolve();
  process.on("message", (message: BenchMessage) => {
    queue = queue.then(async () => {
      if (stopping) return;
      if (message.type === "go" && !runner) runner = await startWorkers();
      if (message.type === "pause" && runner) {
        await runner.stop();
        runner = undefined;
        heartbeat.forgetWorkers();
        process.send!({ type: "paused" } satisfies RunnerMessage);
      }
    }).catch(crash);
  });
  process.send({ type: "ready", runnerId: heartbeat.runnerId } satisfies RunnerMessage);
}

function crash(err: unknown) {
  log.fatal({ err }, "bench runner crashed");
  process.exit(1);
}

main().catch(crash);
