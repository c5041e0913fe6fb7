import type { Prisma } from "../db/client";
import type { PackageHistory } from "./context-package";

const RECENT = 10;

/** The author's recent runs in the repository and earlier runs touching the same files. */
export async function loadPackageHistory(
  tx: Prisma.TransactionClient,
  input: { runId: string; repositoryId: string; author: string; files: string[] },
): Promise<PackageHistory> {
  const summary = (run: { id: string; status: string; createdAt: Date; pullRequest: { number: number; title: string } }) => ({
    runId: run.id,
    pullRequest: { number: run.pullRequest.number, title: run.pullRequest.title },
    status: run.status,
    createdAt: run.createdAt.toISOString(),
  });
  const authorRuns = await tx.pipelineRun.findMany({
    where: { id: { not: input.runId }, pullRequest: { repositoryId: input.repositoryId, author: input.author } },
    orderBy: { createdAt: "desc" },
    take: RECENT,
    select: { id: true, status: true, createdAt: true, pullRequest: { select: { number: true, title: true } } },
  });
  // Earlier runs whose diff touched one of these files (the paths stored at intake, GIN-indexed).
  const sameFiles =
    input.files.length === 0
      ? []
      : await tx.$queryRaw<{ id: string }[]>`
          SELECT r.id FROM "RunDiff" d JOIN "PipelineRun" r ON r.id = d."runId" JOIN "PullRequest" p ON p.id = r."pullRequestId"
           WHERE d.paths && ${input.files}::text[] AND p."repositoryId" = ${input.repositoryId} AND r.id <> ${input.runId}
           ORDER BY r."createdAt" DESC LIMIT ${RECENT}`;
  const related = await tx.pipelineRun.findMany({
    where: { id: { in: sameFiles.map((r) => r.id) } },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      status: true,
      createdAt: true,
      diff: { select: { paths: true } },
      pullRequest: { select: { number: true, title: true } },
      deployments: { where: { status: "rolled_back" }, select: { rollbackReason: true, incidentReport: true } },
    },
  });
  return {
    authorRecentRuns: authorRuns.map(summary),
    sameFiles: related.map((run) => {
      const rollback = run.deployments[0];
      const incident = rollback?.incidentReport as { summary?: string } | null | undefined;
      return {
        ...summary(run),
        files: input.files.filter((f) => run.diff?.paths.includes(f)),
        rolledBack: run.status === "rolled_back" || Boolean(rollback),
        incidentSummary: incident?.summary ?? rollback?.rollbackReason ?? null,
      };
    }),
  };
}
