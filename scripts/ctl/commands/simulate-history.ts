import { CLI_ACTOR, note, type DatabaseCommand } from "../support";

export const simulateHistory: DatabaseCommand = {
  name: "simulate-history",
  usage: [
    "simulate-history [--days 210] [--prs-per-day 40] [--seed 1]",
    "    Writes a simulated pipeline history (runs with stage timings, escalations and decisions,",
    "    production deployments, rollbacks, incidents) for the metrics page, ending now. Its runs",
    "    are marked simulated everywhere they appear.",
    "simulate-history --delete deletes every simulated run, pull request and repository",
  ],
  options: { days: { type: "string" }, "prs-per-day": { type: "string" }, seed: { type: "string" }, delete: { type: "boolean" } },
  async run({ db, values }) {
    const { simulateHistoryCommand } = await import("../../lib/simulate-history-command");
    await simulateHistoryCommand(db, { values, actor: CLI_ACTOR, note });
  },
};
