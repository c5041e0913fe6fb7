import { CLI_ACTOR, type DatabaseCommand } from "../support";

export const auditVerify: DatabaseCommand = {
  name: "audit verify",
  usage: ["audit verify [--full]     the chain from its newest checkpoint (or every event, --full); exits 1 if broken"],
  options: { full: { type: "boolean" } },
  async run({ db, databaseUrl, values }) {
    const status = values.full
      ? await (async () => {
          const { startFullVerification } = await import("../../../lib/audit/verify/run-full-verification");
          const started = await startFullVerification(db, { requestedBy: CLI_ACTOR, databaseUrl: databaseUrl });
          const run = started.finished ? await started.finished : started.verification;
          return { ok: run.status === "verified", verifiedThrough: run.verifiedThrough, eventsChecked: run.eventsChecked, problem: run.broken?.description ?? run.error };
        })()
      : await (async () => {
          const { verifyFromCheckpoint } = await import("../../../lib/audit/verify/verify-from-checkpoint");
          const report = await verifyFromCheckpoint(db, { databaseUrl: databaseUrl });
          return { ok: report.ok, verifiedThrough: report.verifiedThrough, eventsChecked: report.eventsChecked, problem: report.broken?.description ?? null };
        })();
    process.stdout.write(
      status.ok
        ? `chain verified through event ${status.verifiedThrough ?? "(empty log)"} (${status.eventsChecked} events hashed${values.full ? "" : " since the last checkpoint"})\n`
        : `chain NOT verified: ${status.problem}\n`,
    );
    if (!status.ok) process.exitCode = 1;
  },
};
