import { required, type DatabaseCommand } from "../support";

export const runDetail: DatabaseCommand = {
  name: "run",
  usage: ["run <run-id>              one run's stages and decisions"],
  async run({ db, rest }) {
    const { loadRunDetailOrThrow } = await import("../../../lib/runs/run-detail");
    const { run } = await loadRunDetailOrThrow(db, required(rest[0], "run id"));
    process.stdout.write(`${run.pullRequest.repository.name} #${run.pullRequest.number} ${run.pullRequest.title}\n`);
    process.stdout.write(`status ${run.status}, stage ${run.currentStage ?? "-"}, risk ${run.riskScore ?? "-"}, policy v${run.policy.version}\n`);
    for (const stage of run.stageRuns) {
      process.stdout.write(`  ${stage.stage} #${stage.attempt}\t${stage.status}\t${stage.summary ?? ""}\n`);
    }
    for (const d of run.decisions) process.stdout.write(`  decision ${d.agent} (${d.provider}${d.model ? ` ${d.model}` : ""}): ${d.rationale.split("\n")[0]}\n`);
  },
};
