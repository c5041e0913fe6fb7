import fs from "node:fs";
import path from "node:path";
import { CoverageParseError, parseCoverage, type CoverageReport } from "../../lib/coverage/coverage-report";
import { parseJUnitXml, type TestSuiteResult } from "../../lib/coverage/junit-results";
import type { TestSettings } from "../../lib/repositories/test-settings";
import { runCommand, scrubbedEnv, type CommandResult } from "./run-command";
import type { Workspace } from "./workspace";

export interface SuiteRun {
  commands: CommandResult[];
  /** Why the suite produced no usable result (timed out, install failed, no report), or null. */
  problem: string | null;
  results: TestSuiteResult | null;
  coverage: CoverageReport | null;
}

/**
 * Runs the repository's test command (after its install command, when `install` is set) in the
 * workspace and reads the JUnit results and the coverage report it leaves behind. Reports from
 * an earlier run are deleted first, so a stale file can never pass for this run's result.
 */
export async function runSuite(workspace: Workspace, settings: TestSettings, options: { install: boolean }): Promise<SuiteRun> {
  const limits = { timeLimitMs: settings.timeLimitSeconds * 1000, memoryLimitMb: settings.memoryLimitMb };
  const env = scrubbedEnv(workspace.home);
  const commands: CommandResult[] = [];
  const stopped = (result: CommandResult, what: string): SuiteRun => ({
    commands,
    problem: result.timedOut
      ? `${what} timed out after ${settings.timeLimitSeconds} s`
      : result.memoryExceeded
        ? `${what} exceeded the memory limit of ${settings.memoryLimitMb} MB`
        : `${what} failed with exit code ${result.exitCode ?? result.signal}`,
    results: null,
    coverage: null,
  });

  if (options.install && settings.installCommand) {
    const install = await runCommand(settings.installCommand, { cwd: workspace.dir, env, ...limits });
    commands.push(install);
    if (install.exitCode !== 0) return stopped(install, "the install command");
  }

  const resultsFile = path.join(workspace.dir, settings.resultsPath);
  const coverageFile = path.join(workspace.dir, settings.coveragePath);
  fs.rmSync(resultsFile, { force: true });
  fs.rmSync(coverageFile, { force: true });
  const test = await runCommand(settings.testCommand, { cwd: workspace.dir, env, ...limits });
  commands.push(test);
  // A failing test exits non-zero; that is a result, not a problem. Limits and missing reports are.
  if (test.timedOut || test.memoryExceeded) return stopped(test, "the test command");
  if (!fs.existsSync(resultsFile)) {
    return { ...stopped(test, "the test command"), problem: `the test command (exit code ${test.exitCode}) wrote no test results at ${settings.resultsPath}` };
  }

  const results = parseJUnitXml(fs.readFileSync(resultsFile, "utf8"));
  let coverage: CoverageReport | null = null;
  let problem: string | null = null;
  if (!fs.existsSync(coverageFile)) {
    problem = `the test command wrote no coverage report at ${settings.coveragePath}`;
  } else {
    try {
      coverage = parseCoverage(settings.coverageFormat, fs.readFileSync(coverageFile, "utf8"), { root: workspace.dir });
    } catch (err) {
      if (!(err instanceof CoverageParseError)) throw err;
      problem = `the coverage report at ${settings.coveragePath} is not valid ${settings.coverageFormat}: ${err.message}`;
    }
  }
  return { commands, problem, results, coverage };
}
