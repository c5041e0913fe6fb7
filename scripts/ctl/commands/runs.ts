import { note, type DatabaseCommand } from "../support";

export const recentRuns: DatabaseCommand = {
  name: "runs",
  usage: ["runs                      recent runs with status and stage"],
  async run({ db }) {
    const runs = await db.pipelineRun.findMany({ orderBy: { createdAt: "desc" }, take: 50, include: { pullRequest: { include: { repository: true } } } });
    if (runs.length === 0) note("no runs yet: submit one with `npm run ctl -- submit --repo <path> --base main --head <branch>`");
    for (const r of runs) {
      process.stdout.write(
        `${r.id}\t${r.pullRequest.repository.name}#${r.pullRequest.number}\t${r.status}\t${r.currentStage ?? "-"}\trisk ${r.riskScore ?? "-"}\t${r.pullRequest.title}\n`,
      );
    }
  },
};
