/**
 * What the sandbox costs (agents/sandbox), each figure beside its baseline measured in the same run:
 *  1. start-up: one trivial command (`true`) through the bubblewrap sandbox (the dedicated user,
 *     cgroups, rlimits, namespaces, the disk meter) next to the same command run unsandboxed
 *     through the same supervisor (FLOWGATE_SANDBOX=off); target: under 50 ms more per command;
 *  2. the demo repository's test stage (its real `node --test` suite with coverage, on the
 *     feature/order-total-format branch) in and out of the sandbox; target: within 10%.
 * Runs alternate between the two modes so that drift on a shared machine hits both alike. Prints
 * figures; asserts nothing.
 *
 *   node --import tsx bench/sandbox.ts
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createSandbox, type Sandbox, type SandboxLimits, type SandboxWorkspace } from "../agents/sandbox/sandbox";
import { runSuite } from "../agents/test/run-suite";
import { createWorkspace, ensureWorkspaceRoot } from "../agents/test/workspace";
import { git } from "../lib/git/git";
import { testSettingsOf } from "../lib/repositories/test-settings";
import { createDemoRepository, demoTestSettings } from "../scripts/lib/demo-repository";

const COMMAND_RUNS = Number(process.env.SANDBOX_BENCH_COMMAND_RUNS || 60);
const STAGE_RUNS = Number(process.env.SANDBOX_BENCH_STAGE_RUNS || 8);
const say = (line: string) => process.stdout.write(`${line}\n`);
const limits: SandboxLimits = { timeLimitMs: 60_000, memoryLimitMb: 1024, diskLimitMb: 1024, processLimit: 256 };

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * 0.95))];
const ms = (value: number) => `${value.toFixed(1)} ms`;

async function main() {
  const sandboxed = createSandbox("bubblewrap");
  const unsandboxed = createSandbox("off");
  const problem = await sandboxed.problem();
  if (problem) throw new Error(`no sandbox on this machine: ${problem.reason} (${problem.fix})`);
  const root = ensureWorkspaceRoot(fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-bench-sandbox-")));
  try {
    say(`sandbox benchmark: ${os.cpus().length} cores, Node ${process.version}, ${process.getuid?.() === 0 ? "as root (dedicated user, cgroups)" : "as an ordinary user (user namespace, rlimits)"}`);
    say(sandboxed.record({ installNetwork: "none", limits }).enforcement.memory === "cgroup (kernel)" ? "limits: cgroup v1 memory and pids" : "limits: rlimits and sampling");

    // 1. One trivial command.
    const scratch = scratchWorkspace(root);
    sandboxed.prepare(scratch);
    const times: Record<"sandboxed" | "unsandboxed", number[]> = { sandboxed: [], unsandboxed: [] };
    for (let i = 0; i < COMMAND_RUNS + 5; i++) {
      for (const [mode, sandbox] of [["sandboxed", sandboxed], ["unsandboxed", unsandboxed]] as const) {
        const started = performance.now();
        const result = await sandbox.run("true", { workspace: scratch, network: "none", limits });
        if (result.exitCode !== 0) throw new Error(`${mode} true failed: ${result.output}`);
        if (i >= 5) times[mode].push(performance.now() - started);
      }
    }
    const overhead = median(times.sandboxed) - median(times.unsandboxed);
    say("");
    say(`one command (\`true\`), ${COMMAND_RUNS} runs each after 5 warm-up runs`);
    say(`  unsandboxed (baseline)   median ${ms(median(times.unsandboxed))}   p95 ${ms(p95(times.unsandboxed))}`);
    say(`  bubblewrap sandbox       median ${ms(median(times.sandboxed))}   p95 ${ms(p95(times.sandboxed))}`);
    say(`  start-up overhead        ${ms(overhead)} per command (target < 50 ms)`);

    // 2. The demo's test stage.
    const repo = path.join(root, "demo-shop");
    await createDemoRepository(repo);
    const headSha = (await git(repo, ["rev-parse", "feature/order-total-format"])).trim();
    const settings = testSettingsOf({ test: demoTestSettings })!;
    const stage = { sandboxed: [] as number[], unsandboxed: [] as number[] };
    for (let i = 0; i < STAGE_RUNS + 1; i++) {
      for (const [mode, sandbox] of [["sandboxed", sandboxed], ["unsandboxed", unsandboxed]] as const) {
        const elapsed = await testStage(sandbox, { root, repo, headSha, settings, attempt: i * 2 + (mode === "sandboxed" ? 0 : 1) });
        if (i >= 1) stage[mode].push(elapsed);
      }
    }
    const ratio = median(stage.sandboxed) / median(stage.unsandboxed);
    say("");
    say(`the demo's test stage (workspace export, node --test with coverage, reports read), ${STAGE_RUNS} runs each after 1 warm-up run`);
    say(`  unsandboxed (baseline)   median ${ms(median(stage.unsandboxed))}`);
    say(`  bubblewrap sandbox       median ${ms(median(stage.sandboxed))}`);
    say(`  sandboxed / unsandboxed  ${((ratio - 1) * 100).toFixed(1)}% (target within 10%)`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function scratchWorkspace(root: string): SandboxWorkspace {
  const base = fs.mkdtempSync(path.join(root, "scratch-"));
  const workspace = { base, dir: path.join(base, "checkout"), home: path.join(base, "home"), tmp: path.join(base, "tmp") };
  for (const dir of [workspace.dir, workspace.home, workspace.tmp]) fs.mkdirSync(dir);
  return workspace;
}

/** One test stage as the test agent runs it: a fresh workspace, the suite, the reports; milliseconds. */
async function testStage(sandbox: Sandbox, options: { root: string; repo: string; headSha: string; settings: NonNullable<ReturnType<typeof testSettingsOf>>; attempt: number }) {
  const started = performance.now();
  const workspace = await createWorkspace({ root: options.root, repository: { kind: "local", location: options.repo }, headSha: options.headSha, runId: "bench", stage: "test", attempt: options.attempt });
  try {
    sandbox.prepare(workspace);
    const suite = await runSuite({ sandbox, workspace, settings: options.settings }, { install: true });
    if (!suite.results || suite.results.failed > 0 || suite.problem) throw new Error(`the demo's suite did not pass (${sandbox.mode}): ${suite.problem ?? suite.commands.at(-1)?.output}`);
  } finally {
    await workspace.remove();
  }
  return performance.now() - started;
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
