import type { ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import { GATE_CHECK } from "@/lib/code-host/publish/stage-checks";
import { createPrismaClient, type Db } from "@/lib/db/client";
import { findFreePort, startEmbeddedPostgres, type EmbeddedDatabase } from "@/lib/db/embedded";
import { migrateDatabase } from "@/lib/db/migrations";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { submitRun } from "@/lib/runs/submit-run";
import { startFakeGitHubApi, type FakeGitHubApi } from "../support/fake-github";
import { testDataDir } from "../support/flowgate-process";
import { spawnRunner, waitFor } from "../support/runner-process";

const APP_ID = 5151;
const INSTALLATION = "77";
const keys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } });

// A change the review rules always escalate (code evaluation): the run stops at review, so the
// publications on the pull request are exactly those of one recorded outcome.
const riskyDiff = `diff --git a/src/reports.ts b/src/reports.ts
new file mode 100644
index 0000000..1111111
--- /dev/null
+++ b/src/reports.ts
@@ -0,0 +1,3 @@
+export function run(expression: string) {
+  return eval(expression);
+}
`;


/**
 * The outbox under a real crash: a runner process publishing to (fake) GitHub is SIGKILLed after
 * GitHub carried out its request and before the runner learnt so; another runner takes the job
 * over, and the pull request ends up with each check and the comment exactly once.
 */
describe("publishing to the code host across a runner crash", () => {
  let dataDir: string;
  let database: EmbeddedDatabase;
  let db: Db;
  let fake: FakeGitHubApi;
  const runners: ChildProcess[] = [];

  function startRunner() {
    const child = spawnRunner({
      DATABASE_URL: database.databaseUrl,
      ANTHROPIC_API_KEY: "",
      GITHUB_APP_ID: String(APP_ID),
      GITHUB_APP_PRIVATE_KEY: keys.privateKey,
      FLOWGATE_GITHUB_API_URL: fake.url,
      FLOWGATE_DATA_DIR: dataDir,
    });
    runners.push(child);
    return child;
  }

  beforeAll(async () => {
    dataDir = testDataDir("code-host-publish-faults");
    database = await startEmbeddedPostgres({ dataDir, port: await findFreePort() });
    await migrateDatabase(database.databaseUrl);
    db = createPrismaClient(database.databaseUrl);
    await ensureDefaultPolicy(db);
    fake = await startFakeGitHubApi({ appId: APP_ID, publicKey: keys.publicKey, installations: { [INSTALLATION]: ["acme/shop"] } });
    // As an installation registers it (the intake path is tested in test/integration/github-*).
    await db.repository.create({ data: { name: "acme/shop", kind: "github", location: "acme/shop", hostInstallationId: INSTALLATION } });
  });

  afterAll(async () => {
    for (const runner of runners) if (runner.exitCode === null) runner.kill("SIGKILL");
    await db?.$disconnect();
    await fake?.close();
    await database?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("publishes each check and the comment exactly once when the publishing runner is killed mid-request", async () => {
    // GitHub creates the review's check run, and the runner never hears back.
    fake.hangAfterApplying((request) => request.method === "POST" && request.path === "/repos/acme/shop/check-runs" && (request.body as { name?: string })?.name === "flowgate/review");
    const first = startRunner();
    const headSha = "b".repeat(40);
    const { run } = await submitRun(db, {
      actor: { type: "system", id: "test", label: "test" },
      input: { repository: "acme/shop", prNumber: 21, title: "Report expressions", author: "dana", baseSha: "a".repeat(40), headSha, diff: riskyDiff },
    });
    // Needed by the comment: GitHub has the pull request.
    fake.addPullRequest("acme/shop", { number: 21, headSha, createdAt: "2026-12-05T09:00:00Z" });

    await waitFor("the review's check to be created on GitHub while its runner waits", async () => fake.checkRuns("acme/shop").some((c) => c.name === "flowgate/review"));
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    expect(await db.codeHostPublication.count({ where: { runId: run.id, name: "flowgate/review", status: "pending" } })).toBe(1);

    startRunner();
    await waitFor(
      "every publication of the run to be sent",
      async () => (await db.codeHostPublication.count({ where: { runId: run.id, status: "pending" } })) === 0 && (await db.codeHostPublication.count({ where: { runId: run.id } })) > 0,
      90_000,
    );

    const runs = fake.checkRuns("acme/shop").filter((c) => c.head_sha === headSha);
    const named = (name: string) => runs.filter((c) => c.name === name);
    expect(named("flowgate/review")).toHaveLength(1);
    expect(named("flowgate/review")[0]).toMatchObject({ status: "completed", conclusion: "action_required" });
    expect(named(GATE_CHECK)).toHaveLength(1);
    expect(named(GATE_CHECK)[0]).toMatchObject({ status: "completed", conclusion: "action_required" });
    expect(fake.comments("acme/shop", 21)).toHaveLength(1);
    expect((await db.pipelineRun.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("escalated");
    expect((await verifyAuditChain(db)).ok).toBe(true);
  }, 180_000);
});
