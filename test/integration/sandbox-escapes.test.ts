import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStageJob } from "@/agents/engine/run-stage-job";
import { createSandbox, type Sandbox } from "@/agents/sandbox/sandbox";
import { measuredDecision, type StageAgent } from "@/agents/engine/stage-agent";
import { createTestAgent, type TestStageOutput } from "@/agents/test/test-agent";
import { ensureWorkspaceRoot } from "@/agents/test/workspace";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { git } from "@/lib/git/git";
import { log } from "@/lib/log";
import { registerRepository } from "@/lib/repositories/register-repository";
import { testPresets } from "@/lib/repositories/test-settings";
import { createDemoRepository } from "@/scripts/lib/demo-repository";
import { submitWithGit } from "@/scripts/lib/submit-with-git";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { stageAgents } from "../support/stage-agents";

const actor = { type: "system", id: "test", label: "test" } as const;
const quiet = log.child({ test: "sandbox-escapes" });
const projectRoot = path.resolve(import.meta.dirname, "..", "..");
const fixture = path.join(projectRoot, "test", "fixtures", "hostile-repository", "escape-attempts.mjs");

// This test's part is the test stage; review is not under test here (the hostile branch would
// rightly be escalated there for its process execution), so it passes without looking.
const passingReview: StageAgent = {
  stage: "review",
  run: async () => {
    const outcome = { kind: "pass" as const, summary: "review not under test" };
    return { outcome, stageOutput: {}, decision: measuredDecision({ agent: "review", agentVersion: "stub", provider: "heuristic", inputParts: [], outcome, output: {}, rationale: "stub" }) };
  },
};

/**
 * The hostile repository: a pull request whose test command first runs escape-attempts.mjs, which
 * tries to read Flowgate's secrets, reach its database and web server, write outside its checkout,
 * signal the runner and leave a daemon behind, then prints bytes PostgreSQL cannot store. Every
 * attempt must fail, the stage must still reach its verdict, and no secret may be stored anywhere.
 */
describe("pull-request code in the sandbox", () => {
  let t: TestDatabase;
  let repoDir: string;
  let workspaceRoot: string;
  let webServer: net.Server;
  let secrets: { pgPassword: string; authSecret: string };
  const sandbox = createSandbox("bubblewrap");
  const daemonSeconds = 7000 + (process.pid % 1000);
  const saved = { DATABASE_URL: process.env.DATABASE_URL, NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET };

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    // The runner's own secrets, as `npm start` gives them to it: redaction must know them.
    const runDir = process.env.FLOWGATE_TEST_RUN_DIR!;
    const secretsFile = path.join(runDir, "pg", "secrets.json");
    secrets = JSON.parse(fs.readFileSync(secretsFile, "utf8"));
    process.env.DATABASE_URL = t.url;
    process.env.NEXTAUTH_SECRET = secrets.authSecret;

    webServer = net.createServer((socket) => {
      socket.on("error", () => undefined);
      socket.end("flowgate web server\n");
    });
    await new Promise<void>((resolve) => webServer.listen(0, "127.0.0.1", resolve));
    workspaceRoot = ensureWorkspaceRoot(fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-escape-ws-")));
    const otherWorkspace = path.join(workspaceRoot, "other-run--test--1", "checkout");
    fs.mkdirSync(otherWorkspace, { recursive: true });
    fs.writeFileSync(path.join(otherWorkspace, "secret.txt"), "another run's checkout");

    repoDir = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-hostile-repo-"));
    await createDemoRepository(repoDir);
    await git(repoDir, ["checkout", "-q", "-b", "attack/escape", "main"]);
    fs.copyFileSync(fixture, path.join(repoDir, "test", "escape-attempts.mjs"));
    const targets = {
      secretsFile,
      secretValues: [secrets.pgPassword, secrets.authSecret],
      runnerPid: process.pid,
      projectRoot,
      otherWorkspaceFile: path.join(otherWorkspace, "secret.txt"),
      workspaceRoot,
      dataDir: runDir,
      postgresPort: Number(new URL(t.url).port),
      webPort: (webServer.address() as net.AddressInfo).port,
      daemonSeconds,
    };
    fs.writeFileSync(path.join(repoDir, "test", "escape-targets.json"), JSON.stringify(targets, null, 2));
    await git(repoDir, ["add", "-A"]);
    await git(repoDir, ["-c", "user.email=mallory@example.com", "-c", "user.name=Mallory", "commit", "-q", "-m", "Add a test"]);
    await git(repoDir, ["checkout", "-q", "main"]);
    await registerRepository(t.db, {
      input: { name: "hostile", path: repoDir, test: { preset: "node-test", testCommand: `node test/escape-attempts.mjs && ${testPresets["node-test"].testCommand}`, timeLimitSeconds: 60, memoryLimitMb: 1024 } },
      actor,
    });
  });

  afterAll(async () => {
    process.env.DATABASE_URL = saved.DATABASE_URL;
    process.env.NEXTAUTH_SECRET = saved.NEXTAUTH_SECRET;
    webServer?.close();
    await t?.drop();
    fs.rmSync(repoDir, { recursive: true, force: true });
    fs.rmSync(workspaceRoot, { recursive: true, force: true });
  });

  it("blocks every escape, still reaches its verdict, and stores no secret anywhere", async () => {
    const { run } = await submitWithGit(t.db, { repoPath: repoDir, base: "main", head: "attack/escape", number: 1, author: "mallory@example.com", actor, note: () => {} });
    const agents = stageAgents({ review: passingReview, test: createTestAgent(null, { workspaceRoot, sandbox }) });
    await runStageJob({ db: t.db, log: quiet, agents }, { runId: run.id, stage: "review", attempt: 1 });
    await runStageJob({ db: t.db, log: quiet, agents }, { runId: run.id, stage: "test", attempt: 1 });

    const stage = await t.db.stageRun.findFirstOrThrow({ where: { runId: run.id, stage: "test" } });
    // A verdict, at once: the tests ran and passed (no executable source line changed).
    expect(stage.status).toBe("passed");
    const output = stage.output as unknown as TestStageOutput;
    expect(output.sandbox).toMatchObject({ mode: "bubblewrap", warning: null, network: { test: "none" } });
    const printed = output.commands[0].output ?? "";
    // The script runs twice (as the command's first step, and again as a file under test/ that
    // node --test picks up); both runs must be blocked.
    const attempts = printed.split("\n").filter((line) => line.startsWith("ESCAPE "));
    const names = new Set(attempts.map((line) => /^ESCAPE (.+?) (?:blocked|REACHED) /.exec(line)?.[1]));
    expect(names.size).toBeGreaterThanOrEqual(22);
    expect(attempts.filter((line) => line.includes(" REACHED "))).toEqual([]);
    expect(printed).toContain(`ESCAPE-SUMMARY 0 reached of ${names.size}`);

    // The bytes PostgreSQL refuses were stored, made harmless: NUL shown as a control picture,
    // invalid UTF-8 as U+FFFD, the colour escape removed.
    expect(printed).toContain("NUL\u2400 \ufffd\ufffd RED\n");
    expect(printed).not.toContain("\u001b[");

    // The double-forked daemon went with the sandbox's pid namespace.
    const survivors = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").filter((line) => line.includes(`sleep ${daemonSeconds}`));
    expect(survivors).toEqual([]);

    // Nothing the run stored (its stages, decisions, audit events) holds a secret.
    const stored = await t.sql<{ text: string }>(
      `SELECT output::text AS text FROM "StageRun" WHERE "runId" = $1
       UNION ALL SELECT output::text || rationale FROM "AgentDecision" WHERE "runId" = $1
       UNION ALL SELECT content FROM "AuditEvent" WHERE "runId" = $1`,
      [run.id],
    );
    const everything = stored.map((row) => row.text).join("\n");
    expect(everything).toContain("ESCAPE-SUMMARY");
    for (const secret of [secrets.pgPassword, secrets.authSecret, new URL(t.url).password]) expect(everything).not.toContain(secret);
    // No workspace is left behind but the other run's.
    expect(fs.readdirSync(workspaceRoot)).toEqual(["other-run--test--1"]);
  });

  it("redacts Flowgate's secrets from what the code prints when it runs without a sandbox", async () => {
    const { run } = await submitWithGit(t.db, { repoPath: repoDir, base: "main", head: "attack/escape", number: 2, author: "mallory@example.com", actor, note: () => {} });
    const agents = stageAgents({ review: passingReview, test: createTestAgent(null, { workspaceRoot, sandbox: createSandbox("off") }) });
    await runStageJob({ db: t.db, log: quiet, agents }, { runId: run.id, stage: "review", attempt: 1 });
    await runStageJob({ db: t.db, log: quiet, agents }, { runId: run.id, stage: "test", attempt: 1 });
    const stage = await t.db.stageRun.findFirstOrThrow({ where: { runId: run.id, stage: "test" } });
    const output = stage.output as unknown as TestStageOutput;
    // Unsandboxed, the code reads secrets.json (that is what the sandbox is for) ...
    expect(output.commands[0].output).toMatch(/ESCAPE secrets-absolute REACHED/);
    // ... but what it printed is stored with every secret redacted, and the decision says how it ran.
    const decision = await t.db.agentDecision.findFirstOrThrow({ where: { runId: run.id, agent: "test" } });
    expect(decision.rationale).toContain("ran without a sandbox");
    expect(output.sandbox?.warning).toContain("ran without a sandbox");
    const everything = JSON.stringify(stage.output) + JSON.stringify(decision);
    expect(everything).toContain("[redacted: ");
    for (const secret of [secrets.pgPassword, secrets.authSecret]) expect(everything).not.toContain(secret);
    const audit = await t.sql<{ content: string }>(`SELECT content FROM "AuditEvent" WHERE "runId" = $1 AND action = 'stage.decided'`, [run.id]);
    expect(audit.map((a) => a.content).join("")).toContain("ran without a sandbox");
  });

  it("runs no pull-request code where no sandbox can be made, and escalates saying why and how to fix it", async () => {
    // A runner whose probe failed (here: as if bubblewrap were not installed). Its run must never be called.
    const unavailable: Sandbox = {
      ...createSandbox("bubblewrap"),
      problem: async () => ({ reason: "bubblewrap (/usr/bin/bwrap) is not installed on this runner", fix: "apt-get install -y bubblewrap" }),
      run: () => {
        throw new Error("pull-request code must not run without a sandbox");
      },
    };
    const { run } = await submitWithGit(t.db, { repoPath: repoDir, base: "main", head: "attack/escape", number: 3, author: "mallory@example.com", actor, note: () => {} });
    const agents = stageAgents({ review: passingReview, test: createTestAgent(null, { workspaceRoot, sandbox: unavailable }) });
    await runStageJob({ db: t.db, log: quiet, agents }, { runId: run.id, stage: "review", attempt: 1 });
    await runStageJob({ db: t.db, log: quiet, agents }, { runId: run.id, stage: "test", attempt: 1 });
    const stage = await t.db.stageRun.findFirstOrThrow({ where: { runId: run.id, stage: "test" } });
    expect(stage.status).toBe("escalated");
    const output = stage.output as unknown as TestStageOutput;
    expect(output.commands).toEqual([]);
    expect(output.problem).toBe("cannot run untrusted code safely on this runner: bubblewrap (/usr/bin/bwrap) is not installed on this runner. To fix: apt-get install -y bubblewrap");
    const escalation = await t.db.escalation.findFirstOrThrow({ where: { runId: run.id } });
    expect(escalation.reasons).toEqual(["tests_not_runnable"]);
    expect((await t.db.pipelineRun.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("escalated");
  });
});
