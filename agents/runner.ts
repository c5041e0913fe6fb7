import { run, type Runner, type WorkerEvents } from "graphile-worker";
import { startChainAnchoring } from "../lib/audit/verify/anchor-chain-head";
import { handleCodeHostDelivery } from "../lib/code-host/intake/handle-delivery";
import { createBaseCheck } from "../lib/code-host/base-check";
import { codeHostResolver } from "../lib/code-host/hosts";
import { publishPending } from "../lib/code-host/publish/publish";
import { createPrismaClient } from "../lib/db/client";
import { surviveTransientRejections, untilDatabaseAnswers } from "../lib/db/transient-error";
import { env } from "../lib/env";
import { taskList } from "../lib/jobs/catalog";
import { log as rootLog } from "../lib/log";
import { startMetricsRollupRefresh } from "../lib/metrics/start-metrics-rollup-refresh";
import { markSlaBreaches } from "../lib/notifications/sla";
import type { Stage } from "../lib/pipeline/stages";
import { StartupError } from "../lib/startup-error";
import { runStageJob } from "./engine/run-stage-job";
import { queueLogger, startRunnerHeartbeat } from "./engine/runner-heartbeat";
import { superviseQueue } from "./engine/queue-supervisor";
import { selectLlmProvider } from "./llm/select-provider";
import { deliverNotification } from "./notifications/deliver";
import { createDeploymentAgent } from "./deployment/deployment-agent";
import { createReviewAgent } from "./review/review-agent";
import { createStagingAgent } from "./staging/staging-agent";
import { createSandbox } from "./sandbox/sandbox";
import { createTestAgent } from "./test/test-agent";
import { removeLegacyWorkspaces, sweepWorkspaces, workspaceRootFor } from "./test/workspace";
import { createValidationAgent } from "./validation/validation-agent";
import type { StageAgent } from "./engine/stage-agent";

const log = rootLog.child({ component: "runner" });


async function main() {
  surviveTransientRejections(log);
  const config = env();
  const db = createPrismaClient(config.DATABASE_URL);
  // Pull-request code runs only in the sandbox; where none can be made, test stages escalate.
  const sandbox = createSandbox(config.FLOWGATE_SANDBOX);
  const sandboxProblem = await sandbox.problem();
  if (sandbox.mode === "off") log.warn("FLOWGATE_SANDBOX=off: pull-request code runs WITHOUT a sandbox, as this runner's user; every test decision says so");
  else if (sandboxProblem) log.error({ reason: sandboxProblem.reason, fix: sandboxProblem.fix }, "cannot run untrusted code safely on this runner: test stages will escalate");
  // Each start-up step that needs the database waits for it while it is away (a restart, a cut
  // connection): a runner started, or restarted by its supervisor, at that moment would otherwise
  // exit, and `npm start` stops everything when its runner exits.
  const waiting = { onWait: (what: string, err: unknown) => log.warn({ err: String((err as Error)?.message ?? err) }, `database unreachable at start-up (${what}); retrying`) };
  const heartbeat = await untilDatabaseAnswers(
    () =>
      startRunnerHeartbeat({
        db,
        log,
        concurrency: config.RUNNER_CONCURRENCY,
        leaseSeconds: config.FLOWGATE_RUNNER_LEASE_SECONDS,
        sandbox: { mode: sandbox.mode, problem: sandboxProblem ? `${sandboxProblem.reason}. To fix: ${sandboxProblem.fix}` : null },
      }),
    { what: "heartbeat", ...waiting },
  );

  const provider = selectLlmProvider();
  // Workspaces of crashed stages are removed before this runner takes new work.
  const workspaceRoot = workspaceRootFor(config.FLOWGATE_DATA_DIR);
  await untilDatabaseAnswers(() => sweepWorkspaces(db, { root: workspaceRoot, log }), { what: "workspace sweep", ...waiting });
  removeLegacyWorkspaces(config.FLOWGATE_DATA_DIR, log);
  // Checks and comments on GitHub/GitLab pull requests (the outbox), when a host is configured.
  const resolveCodeHost = codeHostResolver(config);
  const agents: Record<Stage, StageAgent> = {
    review: createReviewAgent(provider),
    test: createTestAgent(provider, { workspaceRoot, sandbox }),
    staging: createStagingAgent(),
    validation: createValidationAgent(),
    // A pull request on a code host is deployed only while it contains its base's tip.
    deployment: createDeploymentAgent(provider, { checkBase: createBaseCheck(resolveCodeHost) }),
  };
  log.info({ llm: provider ? `${provider.name} ${provider.model}` : "none (heuristic agents)" }, "agents ready");

  const startQueue = (events: WorkerEvents): Promise<Runner> =>
    run({
      events,
      connectionString: config.DATABASE_URL,
      concurrency: config.RUNNER_CONCURRENCY,
      taskList: taskList({
        runStage: (payload, attempt) => runStageJob({ db, log, agents }, payload, attempt),
        deliverNotification: (payload, attempt) => deliverNotification(db, payload.notificationId, attempt),
        publishToCodeHost: async (payload) => void (await publishPending(db, resolveCodeHost, payload, log)),
        handleCodeHostDelivery: (payload, attempt) => handleCodeHostDelivery({ db, log, dataDir: config.FLOWGATE_DATA_DIR, resolveHost: resolveCodeHost }, payload, attempt),
      }),
      logger: queueLogger(log),
      noHandleSignals: true,
      // Claims are pushed by LISTEN/NOTIFY; polling is only the fallback.
      pollInterval: 1000,
    });
  // A worker that stops for good is replaced by starting the queue again (queue-supervisor.ts).
  const queue = await superviseQueue({ heartbeat, log, start: (events) => untilDatabaseAnswers(() => startQueue(events), { what: "job queue", ...waiting }) });
  log.info({ runnerId: heartbeat.runnerId, concurrency: config.RUNNER_CONCURRENCY }, "runner started");

  const slaCheck = setInterval(() => {
    markSlaBreaches(db)
      .then((marked) => {
        if (marked > 0) log.info({ marked }, "escalation SLAs breached; notifications queued");
      })
      .catch((err) => log.warn({ err }, "SLA check failed; retrying at the next interval"));
  }, config.FLOWGATE_SLA_CHECK_SECONDS * 1000);

  // The metrics rollup: days a late change reopened, and each day once it has ended (lib/metrics).
  startMetricsRollupRefresh({ db, log });

  // Audit chain anchoring to an external sink, when one is configured (FLOWGATE_AUDIT_ANCHOR_*).
  startChainAnchoring({
    db,
    log,
    sinks: { file: config.FLOWGATE_AUDIT_ANCHOR_FILE, webhook: config.FLOWGATE_AUDIT_ANCHOR_WEBHOOK },
    seconds: config.FLOWGATE_AUDIT_ANCHOR_SECONDS,
    databaseUrl: config.DATABASE_URL,
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "runner stopping: no new jobs are claimed, in-flight jobs finish or are released");
    clearInterval(slaCheck);
    await queue.stop();
    await heartbeat.stop();
    // Bounded: after a transaction outlived its connection, Prisma's disconnect waits forever for
    // the rollback its timer started (see surviveTransientRejections).
    await Promise.race([db.$disconnect(), new Promise((resolve) => setTimeout(resolve, 5000))]);
    log.info("runner stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  await queue.promise;
}

main().catch((err) => {
  if (err instanceof StartupError) {
    process.stderr.write(`flowgate runner: ${err.message}\n`);
  } else {
    log.fatal({ err }, "runner crashed");
  }
  process.exit(1);
});
