import { z } from "zod";
import type { AuditActor } from "../../lib/audit/chain/append-audit-event";
import type { Db } from "../../lib/db/client";
import { refreshMetricsRollup } from "../../lib/metrics/refresh-metrics-rollup";
import { deleteSimulatedHistory, simulateHistory, SimulatedHistoryExistsError } from "../../lib/simulation/simulate-history";
import { StartupError } from "../../lib/startup-error";

const optionsSchema = z.object({
  days: z.coerce.number().int().min(1).max(730).default(210),
  "prs-per-day": z.coerce.number().min(0.1).max(2000).default(40),
  seed: z.coerce.number().int().min(0).max(2 ** 32 - 1).default(1),
});

/** `ctl simulate-history [--days] [--prs-per-day] [--seed]` and `ctl simulate-history --delete`. */
export async function simulateHistoryCommand(db: Db, options: { values: Record<string, string | boolean | undefined>; actor: AuditActor; note: (line: string) => void }) {
  const { values, actor, note } = options;
  if (values.delete) {
    const result = await deleteSimulatedHistory(db, { actor, log: note });
    await refreshRollup(db, note);
    process.stdout.write(`${result.runs}\n`);
    return;
  }
  const parsed = optionsSchema.parse({ days: values.days, "prs-per-day": values["prs-per-day"], seed: values.seed });
  try {
    const result = await simulateHistory(db, { days: parsed.days, prsPerDay: parsed["prs-per-day"], seed: parsed.seed, actor, log: note });
    note(
      `simulated ${result.runs} runs (${result.pullRequests} pull requests, ${result.deployments} production deployments, ${result.escalations} escalations) in ${result.repositories} repositories; ` +
        "delete them with `npm run ctl -- simulate-history --delete`",
    );
    await refreshRollup(db, note);
    process.stdout.write(`${result.runs}\n`);
  } catch (err) {
    if (err instanceof SimulatedHistoryExistsError) throw new StartupError(err.message);
    throw err;
  }
}

/**
 * The metrics rollup after a generation or deletion: the days it touched were reopened when it
 * committed (and are read live meanwhile); rolling them up now keeps the page fast right away.
 */
async function refreshRollup(db: Db, note: (line: string) => void) {
  const started = performance.now();
  const refresh = await refreshMetricsRollup(db);
  note(
    refresh.busy
      ? "metrics rollup busy (a runner is refreshing it); it catches up within a minute"
      : `metrics rollup: ${refresh.rolledUp} days rolled up in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
