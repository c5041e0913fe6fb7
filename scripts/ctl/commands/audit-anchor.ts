import { auditAnchorEnvSchema, parseEnv } from "../../../lib/env";
import { StartupError } from "../../../lib/startup-error";
import { note, type DatabaseCommand } from "../support";

export const auditAnchor: DatabaseCommand = {
  name: "audit anchor",
  usage: [
    "audit anchor              writes the verified chain head to FLOWGATE_AUDIT_ANCHOR_FILE and/or",
    "                          FLOWGATE_AUDIT_ANCHOR_WEBHOOK",
  ],
  async run({ db, databaseUrl }) {
    const { anchorChainHead } = await import("../../../lib/audit/verify/anchor-chain-head");
    const config = parseEnv(auditAnchorEnvSchema);
    const outcome = await anchorChainHead(db, { file: config.FLOWGATE_AUDIT_ANCHOR_FILE, webhook: config.FLOWGATE_AUDIT_ANCHOR_WEBHOOK }, { databaseUrl: databaseUrl });
    if (!outcome.anchored) throw new StartupError(`not anchored: ${outcome.reason}`);
    for (const sink of outcome.sinks) note(`${sink.ok ? "anchored to" : "FAILED to anchor to"} ${sink.sink}${sink.error ? `: ${sink.error}` : ""}`);
    process.stdout.write(`${JSON.stringify(outcome.anchor)}\n`);
    if (outcome.sinks.some((s) => !s.ok)) process.exitCode = 1;
  },
};
