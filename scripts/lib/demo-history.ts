import type { AuditActor } from "../../lib/audit/chain/append-audit-event";
import type { Db } from "../../lib/db/client";
import { simulateHistory } from "../../lib/simulation/simulate-history";

/** Small enough to write in a second or two at start-up, long enough to show the trend. */
const DEMO_HISTORY = { days: 120, prsPerDay: 10, seed: 8 };

/**
 * The demo's metrics history: a simulated one, so the metrics page has numbers from the first
 * start. Written once: a later start, or one after `ctl simulate-history --delete`, leaves things
 * as they are (the audit log remembers that a history was generated).
 */
export async function seedDemoHistory(db: Db, options: { actor: AuditActor; log: (line: string) => void }): Promise<number> {
  const generatedBefore = await db.auditEvent.count({ where: { action: { in: ["simulation.generated", "simulation.deleted"] } } });
  if (generatedBefore > 0) return 0;
  const started = Date.now();
  const result = await simulateHistory(db, { ...DEMO_HISTORY, actor: options.actor });
  options.log(
    `seeded a simulated metrics history: ${result.runs} runs over ${DEMO_HISTORY.days} days in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      "(marked simulated; remove it with `npm run ctl -- simulate-history --delete`)",
  );
  return result.runs;
}
