import { envVar } from "../../../lib/env";
import { StartupError } from "../../../lib/startup-error";
import type { DatabaseCommand } from "../support";

export const auditVerifyAnchors: DatabaseCommand = {
  name: "audit verify-anchors",
  usage: [
    "audit verify-anchors [--file <anchors.jsonl>]",
    "    Compares the chain with every anchor in the file (default FLOWGATE_AUDIT_ANCHOR_FILE);",
    "    exits 1 and names the anchors the chain no longer matches (a rewrite or a cut).",
  ],
  options: { file: { type: "string" } },
  async run({ db, values }) {
    const { readAnchorFile, verifyAnchors } = await import("../../../lib/audit/verify/anchor-chain-head");
    const file = (values.file as string | undefined) || envVar("FLOWGATE_AUDIT_ANCHOR_FILE");
    if (!file) throw new StartupError("audit verify-anchors needs --file or FLOWGATE_AUDIT_ANCHOR_FILE");
    const check = await verifyAnchors(db, readAnchorFile(file));
    if (check.ok) process.stdout.write(`chain matches all ${check.anchors} anchors (latest: event ${check.confirmedThrough ?? "-"})\n`);
    else {
      process.stdout.write(`chain does NOT match its anchors:\n${check.problems.map((p) => `  - ${p.description}\n`).join("")}`);
      process.exitCode = 1;
    }
  },
};
