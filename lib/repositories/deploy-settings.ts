import { z } from "zod";

type Environment = "staging" | "production";

/** The `{{name}}` placeholders a template uses. */
export const placeholdersIn = (template: string): string[] => [...template.matchAll(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g)].map((m) => m[1]);

/**
 * How a repository deploys: stored under `deploy` in Repository.settings, one block per
 * environment. Every field has a default, so `{}` (or nothing) means the simulated target and
 * metric source on both environments.
 */

const shellCommand = z.string().trim().min(1).max(4000);

const simulatedTargetSchema = z.strictObject({
  kind: z.literal("simulated"),
  /** Traffic of the simulated service; 100/s on staging and 1000/s in production when absent. */
  requestsPerSecond: z.number().positive().max(10_000).optional(),
  /** Latency multiplier of the environment's machines; 1.3 on staging and 1 in production when absent. */
  capacityFactor: z.number().min(0.1).max(10).optional(),
});

const commandTargetSchema = z.strictObject({
  kind: z.literal("command"),
  deployCommand: shellCommand,
  setWeightCommand: shellCommand.nullable().default(null),
  promoteCommand: shellCommand.nullable().default(null),
  rollbackCommand: shellCommand.nullable().default(null),
  timeLimitSeconds: z.number().int().min(1).max(3600).default(300),
  memoryLimitMb: z.number().int().min(64).max(65_536).default(1024),
});

const webhookTargetSchema = z.strictObject({
  kind: z.literal("webhook"),
  url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  // The receiver checks X-Flowgate-Signature with it; a short secret is guessable.
  secret: z.string().min(16, "must be at least 16 characters").max(512),
  timeoutSeconds: z.number().int().min(1).max(300).default(30),
});

export const deployTargetSettingsSchema = z.discriminatedUnion("kind", [simulatedTargetSchema, commandTargetSchema, webhookTargetSchema]);

/** `{{name}}` placeholders a query template may use; anything else is refused when saved. */
const QUERY_PLACEHOLDERS = ["cohort", "selector", "window", "step"];

const promqlTemplate = z
  .string()
  .trim()
  .min(1)
  .max(4000)
  .refine((t) => placeholdersIn(t).every((p) => QUERY_PLACEHOLDERS.includes(p)), `may only use the placeholders ${QUERY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")}`);

/**
 * Defaults for a service instrumented the common way (a request counter with a `code` label and
 * a latency histogram in seconds). Each template must return one series, in the unit the field
 * names: errorRate in percent, p99Ms in milliseconds, requests per step. {{selector}} is the
 * cohort's label matchers, {{cohort}} its name, {{window}} the range of rate() (a duration such
 * as "60s") and {{step}} the step in seconds.
 */
export const defaultPrometheusQueries = {
  // A service that never failed has no 5xx series at all: `or vector(0)` makes that 0%, while
  // the division still leaves no point where the cohort served nothing.
  errorRate: `100 * (sum(rate(http_requests_total{ {{selector}}, code=~"5.." }[{{window}}])) or vector(0)) / sum(rate(http_requests_total{ {{selector}} }[{{window}}]))`,
  p99Ms: `1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{ {{selector}} }[{{window}}])))`,
  requests: `sum(rate(http_requests_total{ {{selector}} }[{{window}}])) * {{step}}`,
};

const prometheusSourceSchema = z.strictObject({
  kind: z.literal("prometheus"),
  baseUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  queries: z
    .strictObject({
      errorRate: promqlTemplate.default(defaultPrometheusQueries.errorRate),
      p99Ms: promqlTemplate.default(defaultPrometheusQueries.p99Ms),
      requests: promqlTemplate.default(defaultPrometheusQueries.requests),
    })
    .prefault({}),
  /** Label matchers for each cohort; may use {{headSha}}, {{environment}}, {{repository}}, {{runId}}, {{pullRequestNumber}} and the run's variables. */
  canarySelector: z.string().trim().min(1).max(1000).default('cohort="canary"'),
  baselineSelector: z.string().trim().min(1).max(1000).default('cohort="baseline"'),
  /**
   * The range of rate()/increase() ({{window}}): the window's step, but at least this long, since
   * a rate needs several scrapes inside its range (Prometheus advises four scrape intervals).
   */
  minRateWindowSeconds: z.number().int().min(1).max(3600).default(60),
  timeoutSeconds: z.number().int().min(1).max(120).default(10),
});

export const metricSourceSettingsSchema = z.discriminatedUnion("kind", [z.strictObject({ kind: z.literal("simulated") }), prometheusSourceSchema]);

export const smokeCheckSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    /** May use {{headSha}}, {{pullRequestNumber}}, {{environment}}, … and the run's variables. */
    url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    expectStatus: z.number().int().min(100).max(599).optional(),
    bodyIncludes: z.string().min(1).max(1000).optional(),
    command: shellCommand.optional(),
    timeoutSeconds: z.number().int().min(1).max(600).optional(),
  })
  .refine((check) => !(check.url && check.command), { message: "has both a url and a command; give one", path: ["command"] })
  .refine((check) => !(check.command && (check.expectStatus !== undefined || check.bodyIncludes !== undefined)), {
    message: "expectStatus and bodyIncludes apply to url checks only",
    path: ["command"],
  });

const environmentSettingsSchema = z
  .strictObject({
    target: deployTargetSettingsSchema.default({ kind: "simulated" }),
    metricSource: metricSourceSettingsSchema.default({ kind: "simulated" }),
    smokeChecks: z.array(smokeCheckSchema).max(50).default([]),
  })
  .superRefine((settings, ctx) => {
    // Simulated numbers deciding a real deployment would be worse than no numbers.
    if (settings.metricSource.kind === "simulated" && settings.target.kind !== "simulated") {
      ctx.addIssue({ code: "custom", path: ["metricSource", "kind"], message: `the simulated metric source reads the simulated target only; a ${settings.target.kind} target needs a real source (prometheus)` });
    }
    if (settings.target.kind !== "simulated") {
      settings.smokeChecks.forEach((check, index) => {
        if (!check.url && !check.command) ctx.addIssue({ code: "custom", path: ["smokeChecks", index, "url"], message: "needs a url or a command (only the simulated target has built-in checks)" });
      });
    }
  });

export const deploySettingsSchema = z
  .strictObject({
    staging: environmentSettingsSchema.prefault({}),
    production: environmentSettingsSchema.prefault({}),
    /** Staging latency is divided by it before it is compared with production's. */
    adjustmentFactor: z.number().min(0.1).max(10).default(1.3),
    /** How long the staging agent watches staging's metrics, in seconds of the repository's clock. */
    stagingWindowSeconds: z.number().int().min(10).max(3600).default(120),
    /** Simulated seconds per real second (the demo uses 60: a 10-minute canary takes 10 s). */
    clockScale: z.number().min(1).max(3600).default(1),
  })
  .superRefine((settings, ctx) => {
    const production = settings.production.target;
    if (production.kind === "command") {
      for (const field of ["setWeightCommand", "promoteCommand", "rollbackCommand"] as const) {
        if (!production[field]) ctx.addIssue({ code: "custom", path: ["production", "target", field], message: "is required for a canary in production" });
      }
    }
    if (settings.clockScale !== 1) {
      for (const environment of ["staging", "production"] as const) {
        if (settings[environment].metricSource.kind !== "simulated") {
          ctx.addIssue({ code: "custom", path: ["clockScale"], message: `must be 1 unless every metric source is simulated: ${environment} reads real time from ${settings[environment].metricSource.kind}` });
        }
      }
    }
  });

export type DeploySettings = z.infer<typeof deploySettingsSchema>;
export type DeploySettingsInput = z.input<typeof deploySettingsSchema>;
export type EnvironmentDeploySettings = DeploySettings[Environment];
export type DeployTargetSettings = z.infer<typeof deployTargetSettingsSchema>;
export type CommandTargetSettings = z.infer<typeof commandTargetSchema>;
export type WebhookTargetSettings = z.infer<typeof webhookTargetSchema>;
export type SimulatedTargetSettings = z.infer<typeof simulatedTargetSchema>;
export type PrometheusSourceSettings = z.infer<typeof prometheusSourceSchema>;

export class DeploySettingsError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(message);
    this.name = "DeploySettingsError";
  }
}

/** The deploy settings of a repository, from its whole settings object (`settings.deploy`). */
export function deploySettingsOf(repositorySettings: unknown): DeploySettings {
  const stored = repositorySettings && typeof repositorySettings === "object" ? (repositorySettings as { deploy?: unknown }).deploy : undefined;
  const parsed = deploySettingsSchema.safeParse(stored ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ path: ["deploy", ...issue.path].join("."), message: issue.message }));
  throw new DeploySettingsError(`The repository's deploy settings are invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, issues);
}

/** How long the runner really waits for `simulatedSeconds` of canary time under clockScale. */
export function realDurationMs(settings: DeploySettings, simulatedSeconds: number): number {
  return Math.round((simulatedSeconds * 1000) / settings.clockScale);
}
