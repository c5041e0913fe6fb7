import { CoverageParseError, parseCoverage, type CoverageReport } from "../../lib/coverage/coverage-report";
import { parseJUnitXml, type TestSuiteResult } from "../../lib/coverage/junit-results";
import type { TestSettings } from "../../lib/repositories/test-settings";
import { CheckoutPathError, readCheckoutFile, removeCheckoutFile } from "../sandbox/checkout-files";
import type { Sandbox, SandboxLimits } from "../sandbox/sandbox";
import type { CommandResult } from "../sandbox/run-command";
import type { Workspace } from "./workspace";

export interface SuiteRun {
  commands: CommandResult[];
  /** Why the suite produced no usable result (timed out, install failed, no report), or null. */
  problem: string | null;
  results: TestSuiteResult | null;
  coverage: CoverageReport | null;
}

/** What the suite's commands run in and under. */
export interface SuiteContext {
  sandbox: Sandbox;
  workspace: Workspace;
  settings: TestSettings;
}

// Reports larger than this are not read: a real suite's JUnit XML or coverage is far smaller.
const MAX_REPORT_BYTES = 64 * 1024 * 1024;

export const sandboxLimitsOf = (settings: TestSettings): SandboxLimits => ({
  timeLimitMs: settings.timeLimitSeconds * 1000,
  memoryLimitMb: settings.memoryLimitMb,
  diskLimitMb: settings.diskLimitMb,
  processLimit: settings.processLimit,
});

/**
 * Runs the repository's test command (after its install command, when `install` is set) in the
 * sandbox and reads the JUnit results and the coverage report it leaves behind. Reports from an
 * earlier run are deleted first, so a stale file can never pass for this run's result. The reports
 * are written by the pull request's code: they are read without following links and size-capped.
 */
export async function runSuite({ sandbox, workspace, settings }: SuiteContext, options: { install: boolean }): Promise<SuiteRun> {
  const limits = sandboxLimitsOf(settings);
  const commands: CommandResult[] = [];
  const stopped = (result: CommandResult, what: string): SuiteRun => ({
    commands,
    problem: result.timedOut
      ? `${what} timed out after ${settings.timeLimitSeconds} s`
      : result.memoryExceeded
        ? `${what} exceeded the memory limit of ${settings.memoryLimitMb} MB`
        : result.diskExceeded
          ? `${what} wrote more than the disk limit of ${settings.diskLimitMb} MB`
          : `${what} failed with exit code ${result.exitCode ?? result.signal}`,
    results: null,
    coverage: null,
  });

  if (options.install && settings.installCommand) {
    const install = await sandbox.run(settings.installCommand, { workspace, network: settings.installNetwork, limits });
    commands.push(install);
    if (install.exitCode !== 0) return stopped(install, "the install command");
  }

  removeCheckoutFile(workspace.dir, settings.resultsPath);
  removeCheckoutFile(workspace.dir, settings.coveragePath);
  const test = await sandbox.run(settings.testCommand, { workspace, network: "none", limits });
  commands.push(test);
  // A failing test exits non-zero; that is a result, not a problem. Limits and missing reports are.
  if (test.timedOut || test.memoryExceeded || test.diskExceeded) return stopped(test, "the test command");

  let resultsFile: ReturnType<typeof readCheckoutFile>;
  let coverageFile: ReturnType<typeof readCheckoutFile>;
  try {
    resultsFile = readCheckoutFile(workspace.dir, settings.resultsPath, MAX_REPORT_BYTES);
    coverageFile = readCheckoutFile(workspace.dir, settings.coveragePath, MAX_REPORT_BYTES);
  } catch (err) {
    if (!(err instanceof CheckoutPathError)) throw err;
    return { ...stopped(test, "the test command"), problem: `a report could not be read safely: ${err.message}` };
  }
  if (!resultsFile) {
    return { ...stopped(test, "the test command"), problem: `the test command (exit code ${test.exitCode}) wrote no test results at ${settings.resultsPath}` };
  }
  const results = parseJUnitXml(resultsFile.text);
  let coverage: CoverageReport | null = null;
  let problem: string | null = null;
  if (!coverageFile) {
    problem = `the test command wrote no coverage report at ${settings.coveragePath}`;
  } else {
    try {
      coverage = parseCoverage(settings.coverageFormat, coverageFile.text, { root: sandbox.checkoutInside(workspace) });
    } catch (err) {
      if (!(err instanceof CoverageParseError)) throw err;
      problem = `the coverage report at ${settings.coveragePath} is not valid ${settings.coverageFormat}: ${err.message}`;
    }
  }
  return { commands, problem, results, coverage };
}
