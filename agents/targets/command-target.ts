import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runCommand, scrubbedEnv, type CommandResult } from "../sandbox/run-command";
import type { CommandTargetSettings } from "../../lib/repositories/deploy-settings";
import { deployVariables, type DeployStep } from "./deploy-variables";
import type { DeployContext, DeployTarget, StepResult } from "./types";

const STEP_LABEL: Record<DeployStep, string> = { deploy: "deploy", set_weight: "set-weight", promote: "promote", rollback: "rollback", smoke: "smoke" };

/**
 * Runs the team's own commands (kubectl argo rollouts …, a mesh's CLI, a deploy script) with the
 * test agent's command runner: its own process group, the time limit, capped output, and an
 * environment with nothing of Flowgate's in it but the run's FLOWGATE_* variables. They run in a
 * private empty directory, never in a pull request's checkout: a deploy script taken from the PR
 * would be PR code with the runner's privileges (PR code runs only in agents/sandbox).
 */
export function createCommandTarget(settings: CommandTargetSettings): DeployTarget {
  const limits = { timeLimitMs: settings.timeLimitSeconds * 1000, memoryLimitMb: settings.memoryLimitMb };
  return {
    kind: "command",
    deploy: (ctx) => runStep(settings.deployCommand, ctx, { step: "deploy", weight: ctx.environment === "production" ? 0 : 100 }, limits),
    setWeight: (ctx, percent) => runStep(settings.setWeightCommand, ctx, { step: "set_weight", weight: percent }, limits),
    promote: (ctx) => runStep(settings.promoteCommand, ctx, { step: "promote", weight: 100 }, limits),
    rollback: (ctx, reason) => runStep(settings.rollbackCommand, ctx, { step: "rollback", weight: 0, reason }, limits),
  };
}

/** Runs one command as a deploy step (or a smoke check); never throws. */
export async function runStep(
  command: string | null,
  ctx: DeployContext,
  step: { step: DeployStep; weight?: number; reason?: string },
  limits: { timeLimitMs: number; memoryLimitMb: number },
): Promise<StepResult> {
  const label = STEP_LABEL[step.step];
  if (!command) return { ok: false, summary: `no ${label} command is configured for ${ctx.environment}`, durationMs: 0 };
  // A private HOME per command, so tools' caches and credentials files from one run never reach another.
  const home = await fs.mkdtemp(path.join(os.tmpdir(), "flowgate-deploy-"));
  try {
    const result = await runCommand(command, { cwd: home, env: scrubbedEnv(home, deployVariables(ctx, step)), ...limits });
    return { ok: succeeded(result), summary: `${label} command ${verdict(result)}`, output: result.output, durationMs: result.durationMs };
  } catch (err) {
    return { ok: false, summary: `${label} command could not start: ${(err as Error).message}`, durationMs: 0 };
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
}

const succeeded = (result: CommandResult) => result.exitCode === 0 && !result.timedOut && !result.memoryExceeded;

function verdict(result: CommandResult): string {
  const seconds = `${(result.durationMs / 1000).toFixed(1)} s`;
  if (result.timedOut) return `was killed after the time limit (${seconds})`;
  if (result.memoryExceeded) return `was killed for exceeding the memory limit (${result.peakRssMb} MB)`;
  if (result.exitCode === 0) return `succeeded in ${seconds}`;
  if (result.exitCode === null) return `was killed by ${result.signal ?? "a signal"} after ${seconds}`;
  return `failed with exit code ${result.exitCode} after ${seconds}`;
}
