import type { DeployContext } from "./types";

/** The step a command, event or smoke command belongs to. */
export type DeployStep = "deploy" | "set_weight" | "promote" | "rollback" | "smoke";

/**
 * The environment a deploy or smoke command gets on top of scrubbedEnv: the run's own facts as
 * FLOWGATE_RUN_ID, FLOWGATE_REPOSITORY, FLOWGATE_PR_NUMBER, FLOWGATE_HEAD_SHA, FLOWGATE_ENVIRONMENT,
 * FLOWGATE_STEP, FLOWGATE_WEIGHT (the candidate's traffic share the step leads to) and, for a
 * rollback, FLOWGATE_ROLLBACK_REASON; each of ctx.variables as FLOWGATE_<NAME> (imageTag →
 * FLOWGATE_IMAGE_TAG; a name already starting with FLOWGATE_ is kept as it is). The run's facts win over a variable of the same name, so a configured
 * variable cannot stand in for the commit being deployed.
 */
export function deployVariables(ctx: DeployContext, step: { step: DeployStep; weight?: number; reason?: string }): Record<string, string> {
  const custom = Object.fromEntries(Object.entries(ctx.variables).map(([name, value]) => [flowgateName(name), value]));
  const own: Record<string, string> = {
    FLOWGATE_RUN_ID: ctx.runId,
    FLOWGATE_REPOSITORY: ctx.repository,
    FLOWGATE_PR_NUMBER: String(ctx.pullRequestNumber),
    FLOWGATE_HEAD_SHA: ctx.headSha,
    FLOWGATE_ENVIRONMENT: ctx.environment,
    FLOWGATE_STEP: step.step,
  };
  if (step.weight !== undefined) own.FLOWGATE_WEIGHT = String(step.weight);
  if (step.reason !== undefined) own.FLOWGATE_ROLLBACK_REASON = step.reason;
  return { ...custom, ...own };
}

/** A variable's name in a command's environment; one already named FLOWGATE_* keeps its name. */
function flowgateName(name: string): string {
  const upper = environmentName(name);
  return upper.startsWith("FLOWGATE_") ? upper : `FLOWGATE_${upper}`;
}

/** imageTag, image-tag and image.tag all become IMAGE_TAG. */
export function environmentName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();
}

/** What `{{name}}` may stand for in smoke check URLs and Prometheus selectors. */
export function templateValues(ctx: DeployContext): Record<string, string> {
  return {
    ...ctx.variables,
    runId: ctx.runId,
    repository: ctx.repository,
    pullRequestNumber: String(ctx.pullRequestNumber),
    headSha: ctx.headSha,
    environment: ctx.environment,
  };
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

/**
 * Replaces every `{{name}}` with its value, each passed through `escape` (e.g. for a PromQL
 * string). An unknown name is an error: a URL or query with a hole in it must not run.
 */
export function fillTemplate(template: string, values: Record<string, string>, escape: (value: string) => string = (v) => v): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (_, name: string) => {
    if (!Object.hasOwn(values, name)) throw new TemplateError(`unknown placeholder {{${name}}} in "${template}" (known: ${Object.keys(values).join(", ")})`);
    return escape(values[name]);
  });
}


