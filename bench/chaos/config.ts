/**
 * The soak's settings, from the environment through one zod schema, as lib/env.ts does for
 * Flowgate itself (blank means unset; a malformed value stops the soak naming the variable).
 */
import { z } from "zod";
import { blankAsUnset } from "../../lib/blank-as-unset";
import { parseEnv } from "../../lib/env";

const number = (fallback: number) => blankAsUnset(z.coerce.number().positive().default(fallback));

export const chaosEnvSchema = z.object({
  /** How long faults are injected; then the soak waits for quiescence and checks. */
  CHAOS_MINUTES: number(10),
  /** The first is the memory witness, never killed; the others take the SIGKILLs. */
  CHAOS_RUNNERS: blankAsUnset(z.coerce.number().int().min(2).max(8).default(3)),
  /** Targets over the whole soak, spread at random moments (each at least this many). */
  CHAOS_RUNNER_KILLS: number(125),
  CHAOS_WEB_KILLS: number(4),
  CHAOS_DB_RESTARTS: number(3),
  CHAOS_CONNECTION_CUTS: number(60),
  /** One pull request every this many seconds. */
  CHAOS_SUBMIT_SECONDS: number(4),
  /** Share of pull requests that get a new head while in flight (a supersede). */
  CHAOS_SUPERSEDE_SHARE: blankAsUnset(z.coerce.number().min(0).max(1).default(0.15)),
  /** Share of runs seen at their deployment stage that get a new head there (their canary must roll back). */
  CHAOS_CANARY_SUPERSEDE_SHARE: blankAsUnset(z.coerce.number().min(0).max(1).default(0.25)),
  /** After the faults stop: how long runs may take to settle before the soak calls them stuck. */
  CHAOS_QUIESCE_MINUTES: number(6),
  /** The lease after which a killed runner's jobs go to the others (FLOWGATE_RUNNER_LEASE_SECONDS). */
  CHAOS_LEASE_SECONDS: number(10),
  /** A checkout with a current `next build` to run the web server from (default: this one). */
  CHAOS_WEB_ROOT: blankAsUnset(z.string().optional()),
  /** An external PostgreSQL (a URL allowed to create databases); unset: the embedded one. */
  DATABASE_URL: blankAsUnset(z.string().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL").optional()),
  /** With DATABASE_URL: the command that restarts that server, e.g. `pg_ctlcluster 15 main restart -m fast`. */
  CHAOS_PG_RESTART_COMMAND: blankAsUnset(z.string().optional()),
  /** Keep the soak's data directory and logs even when every invariant holds. */
  CHAOS_KEEP: blankAsUnset(z.enum(["0", "1"]).default("0")),
});

export type ChaosConfig = z.infer<typeof chaosEnvSchema>;

export function chaosConfig(): ChaosConfig {
  const config = parseEnv(chaosEnvSchema);
  if (config.DATABASE_URL && !config.CHAOS_PG_RESTART_COMMAND) {
    throw new Error("with DATABASE_URL, set CHAOS_PG_RESTART_COMMAND to the command that restarts that PostgreSQL (e.g. `pg_ctlcluster 15 main restart -m fast`)");
  }
  return config;
}
