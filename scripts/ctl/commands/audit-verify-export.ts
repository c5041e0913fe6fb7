import fs from "node:fs";
import { StartupError } from "../../../lib/startup-error";
import { UsageError, type OfflineCommand } from "../support";

export const auditVerifyExport: OfflineCommand = {
  name: "audit verify-export",
  usage: [
    "audit verify-export <file> <manifest>",
    "    Checks an audit export offline against its manifest and its own hash chain; needs no",
    "    database. Exits 1 and lists the problems when the file is incomplete or was changed.",
  ],
  // An auditor checks a file they were handed, possibly on a machine without Flowgate's data.
  database: false,
  async run({ rest: [file, manifestFile] }) {
    if (!file || !manifestFile) throw new UsageError("audit verify-export needs <file> and <manifest>");
    const { verifyExport } = await import("../../../lib/audit/export/verify-export");
    const read = (target: string) => {
      try {
        return fs.readFileSync(target);
      } catch (err) {
        throw new StartupError(`cannot read ${target}: ${(err as Error).message}`);
      }
    };
    const contents = read(file);
    let manifest: unknown;
    try {
      manifest = JSON.parse(read(manifestFile).toString("utf8"));
    } catch (err) {
      if (err instanceof StartupError) throw err;
      throw new StartupError(`${manifestFile} is not JSON: ${(err as Error).message}`);
    }
    const result = verifyExport(contents, manifest);
    if (!result.ok) {
      process.stdout.write(`export NOT verified:\n${result.problems.map((p) => `  - ${p}\n`).join("")}`);
      process.exitCode = 1;
      return;
    }
    const range = result.rows > 0 ? `, sequences ${result.firstSequence}–${result.lastSequence}` : "";
    const kind = result.contiguous ? "" : " (not contiguous: each event's own hash checked)";
    process.stdout.write(`export verified: ${result.rows} events${range}${kind}, SHA-256 ${result.sha256}\n`);
  },
};
