import { createHash } from "node:crypto";
import { mapCoverageToDiff, type ChangedLineCoverage } from "../../lib/coverage/changed-line-coverage";
import { parseUnifiedDiff } from "../../lib/diff/unified-diff";
import type { TestSuiteResult } from "../../lib/coverage/junit-results";
import { evaluateTestStage } from "./evaluate-test";
import { gitDirOf } from "../../lib/repositories/git-dir";
import { testSettingsOf, type TestSettings } from "../../lib/repositories/test-settings";
import type { LlmProvider } from "../llm/provider";
import type { Sandbox, SandboxRecord } from "../sandbox/sandbox";
import type { StageAgent, StageAgentResult, StageContext, StageNote } from "../engine/stage-agent";
import { generateTests, TEST_PROMPT_VERSION, type GenerationResult } from "./generate-tests";
import type { CommandResult } from "../sandbox/run-command";
import { runSuite, sandboxLimitsOf, type SuiteRun } from "./run-suite";
import { createWorkspace } from "./workspace";

export const TEST_AGENT_VERSION = "test-2";

/** What the run page shows for the test stage (StageRun.output); the decision keeps the same minus command output. */
export interface TestStageOutput {
  settings: { preset: string; testCommand: string; coverageFormat: string } | null;
  commands: (Omit<CommandResult, "output"> & { output?: string })[];
  suite: TestSuiteResult | null;
  problem: string | null;
  /** How the pull request's code was isolated (null when none ran). */
  sandbox: SandboxRecord | null;
  coverage: { target: number; before: ChangedLineCoverage | null; after: ChangedLineCoverage | null };
  generation: {
    mode: "llm" | "not_needed" | "heuristic";
    note: string;
    attempts: number;
    tests: GenerationResult["tests"];
    patch: string | null;
  };
}

/**
 * The test agent: runs the repository's suite with coverage on the PR head in a private
 * workspace, inside the sandbox, maps coverage onto the changed lines, and, when an LLM is
 * configured and coverage is short of the target, generates tests and keeps only those that pass
 * and add coverage. Where no sandbox can be made, no pull-request code runs: the stage escalates.
 * The workspace is removed when the stage ends, whatever the outcome.
 */
export function createTestAgent(provider: LlmProvider | null, options: { workspaceRoot: string; sandbox: Sandbox }): StageAgent {
  const { sandbox } = options;
  return {
    stage: "test",
    async run(context): Promise<StageAgentResult> {
      const repository = context.run.pullRequest.repository;
      const settings = testSettingsOf(repository.settings);
      const target = context.policy.test.changedLineCoverageTarget;
      const output: TestStageOutput = {
        settings: settings && { preset: settings.preset, testCommand: settings.testCommand, coverageFormat: settings.coverageFormat },
        commands: [],
        suite: null,
        problem: null,
        sandbox: null,
        coverage: { target, before: null, after: null },
        generation: { mode: "not_needed", note: "", attempts: 0, tests: [], patch: null },
      };
      if (!settings) {
        output.problem = `no test command is configured for ${repository.name} (set one in Settings → Repositories or with npm run ctl -- repo test-settings)`;
        return finish(context, output, settings);
      }

      const unsafe = await sandbox.problem();
      if (unsafe) {
        output.problem = `cannot run untrusted code safely on this runner: ${unsafe.reason}. To fix: ${unsafe.fix}`;
        return finish(context, output, settings);
      }
      output.sandbox = sandbox.record({ installNetwork: settings.installNetwork, limits: sandboxLimitsOf(settings) });

      // Changed-line coverage needs the added lines themselves, so the text is parsed here.
      const diff = parseUnifiedDiff(await context.run.diffText());
      // A code-host repository's head was fetched into its cache at intake: exported from there.
      const gitDir = gitDirOf(repository);
      const workspace = await createWorkspace({
        root: options.workspaceRoot,
        repository: gitDir ? { kind: "local", location: gitDir } : repository,
        headSha: context.run.headSha,
        runId: context.run.id,
        stage: "test",
        attempt: context.attempt,
      });
      try {
        sandbox.prepare(workspace);
        const suiteContext = { sandbox, workspace, settings };
        const suite = await runSuite(suiteContext, { install: true });
        record(output, suite);
        if (suite.coverage) output.coverage.before = output.coverage.after = mapCoverageToDiff(diff, suite.coverage);
        const before = output.coverage.before;
        const short = before !== null && before.percent !== null && before.percent < target;
        const green = suite.results !== null && suite.results.failed + suite.results.errored === 0 && !suite.problem;
        if (!short || !green) return finish(context, output, settings);

        if (!provider) {
          output.generation = {
            ...output.generation,
            mode: "heuristic",
            note: "No LLM is configured, so no tests were generated: the uncovered changed lines are listed for a person.",
          };
          return finish(context, output, settings);
        }
        const generation = await generateTests({
          provider,
          suite: suiteContext,
          diff,
          coverage: before,
          maxAttempts: context.policy.test.maxGenerationAttempts,
          target,
          log: context.log,
        });
        for (const command of generation.lastSuite?.commands ?? []) output.commands.push(command);
        output.coverage.after = generation.coverage;
        const kept = generation.tests.filter((t) => t.status === "kept").length;
        output.generation = {
          mode: "llm",
          note: `${generation.tests.length} generated test file${generation.tests.length === 1 ? "" : "s"} tried in ${generation.attempts} attempt${generation.attempts === 1 ? "" : "s"}; ${kept} kept.`,
          attempts: generation.attempts,
          tests: generation.tests,
          patch: generation.patch,
        };
        return finish(context, output, settings, { result: generation, provider });
      } finally {
        await workspace.remove();
      }
    },
  };
}

/** Each run of uncovered changed lines as a note, so the code host can annotate them. */
function uncoveredLineNotes(coverage: ChangedLineCoverage | null): StageNote[] {
  return (coverage?.files ?? []).flatMap((file) =>
    file.uncoveredRanges.map(([from, to]): StageNote => ({
      file: file.path,
      line: from,
      endLine: to,
      severity: "low",
      message: from === to ? `Changed line ${from} is not covered by any test.` : `Changed lines ${from}–${to} are not covered by any test.`,
    })),
  );
}

function record(output: TestStageOutput, suite: SuiteRun) {
  output.commands.push(...suite.commands);
  output.problem = suite.problem;
  if (suite.results) output.suite = { ...suite.results, failures: suite.results.failures.map((f) => ({ ...f, message: f.message.slice(0, 2000) })) };
}

function finish(
  context: StageContext,
  output: TestStageOutput,
  settings: TestSettings | null,
  generation: { result: GenerationResult; provider: LlmProvider } | null = null,
): StageAgentResult {
  const outcome = evaluateTestStage({ problem: output.problem, results: output.suite, coverage: output.coverage.after }, context.policy);
  const rationale = rationaleOf(output, outcome.summary);
  const llm = generation?.result;
  return {
    outcome,
    stageOutput: output,
    assessment: { criticalFindings: 0, notChecked: [], notes: uncoveredLineNotes(output.coverage.after) },
    decision: {
      agent: "test",
      agentVersion: TEST_AGENT_VERSION,
      provider: generation ? generation.provider.name : "heuristic",
      model: generation?.provider.model ?? null,
      inputHash: createHash("sha256")
        .update([TEST_AGENT_VERSION, TEST_PROMPT_VERSION, context.run.headSha, JSON.stringify(settings), context.policy.test.changedLineCoverageTarget].join("\n"))
        .digest("hex"),
      riskScore: null,
      output: { ...output, commands: output.commands.map(({ output: _text, ...command }) => command) },
      rationale,
      requiresHuman: outcome.kind === "escalate",
      prompt: llm ? llm.prompts.join("\n\n---\n\n") : null,
      response: llm ? llm.responses.join("\n\n---\n\n") : null,
      inputTokens: llm?.usage.inputTokens ?? null,
      outputTokens: llm?.usage.outputTokens ?? null,
      latencyMs: llm?.latencyMs ?? null,
    },
  };
}

function rationaleOf(output: TestStageOutput, summary: string): string {
  const lines = [summary + "."];
  if (output.sandbox?.warning) lines.push(`Warning: ${output.sandbox.warning}.`);
  if (output.suite) lines.push(`Suite: ${output.suite.passed} passed, ${output.suite.failed} failed, ${output.suite.errored} errored, ${output.suite.skipped} skipped.`);
  if (output.problem) lines.push(`Problem: ${output.problem}.`);
  const { before, after, target } = output.coverage;
  if (before?.percent != null) {
    lines.push(`Changed-line coverage ${before.percent.toFixed(1)}% before${after && after !== before && after.percent != null ? `, ${after.percent.toFixed(1)}% after generated tests` : ""} (target ${target}%).`);
  }
  if (output.generation.note) lines.push(output.generation.note);
  for (const test of output.generation.tests) lines.push(`- ${test.path} (attempt ${test.attempt}): ${test.status.replaceAll("_", " ")}, ${test.reason}`);
  const gaps = (after ?? before)?.files.filter((f) => f.uncoveredRanges.length > 0) ?? [];
  if (gaps.length > 0) {
    lines.push("Uncovered changed lines:");
    for (const f of gaps) lines.push(`- ${f.path}: ${f.uncoveredRanges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(", ")}`);
  }
  return lines.join("\n");
}
