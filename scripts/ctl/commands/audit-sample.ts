import fs from "node:fs";
import { CLI_ACTOR, note, required, type DatabaseCommand } from "../support";

export const auditSample: DatabaseCommand = {
  name: "audit sample",
  usage: [
    "audit sample --from <iso> --to <iso> --n <count> [--seed <text>] --out <file.zip>",
    "    Draws N changes of the period at random (seeded; the seed is printed and recorded) and",
    "    writes their evidence as one zip: decision report PDF, events JSONL and manifest per change.",
  ],
  options: { from: { type: "string" }, to: { type: "string" }, n: { type: "string" }, seed: { type: "string" }, out: { type: "string" } },
  async run({ db, databaseUrl, values }) {
    const { createSampleBundle, sampleQuerySchema } = await import("../../../lib/audit/export/sample-changes");
    const out = required(values.out as string | undefined, "out");
    const query = sampleQuerySchema.parse({ from: values.from, to: values.to, n: values.n, seed: values.seed || undefined });
    const bundle = await createSampleBundle(db, query, CLI_ACTOR, { databaseUrl: databaseUrl });
    fs.writeFileSync(out, bundle.bytes);
    note(`sampled ${bundle.manifest.changes.length} of ${bundle.manifest.population} changes with seed "${bundle.manifest.seed}"; SHA-256 ${bundle.sha256}`);
    process.stdout.write(`${out}\n`);
  },
};
