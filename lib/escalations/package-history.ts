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
  // Earlier runs whose diff touched one of these files (matched on the diff's file headers).
  const sameFiles =
    input.files.length === 0
      ? []
      : await tx.$queryRaw<{ id: string }[]>`
          SELECT r.id FROM "PipelineRun" r JOIN "PullRequest" p ON p.id = r."pullRequestId"
           WHERE p."repositoryId" = ${input.repositoryId} AND r.id <> ${input.runId}
             AND EXISTS (SELECT 1 FROM unnest(${input.files.map((f) => `%+++ b/${f}%`)}::text[]) AS f(pattern) WHERE r.diff LIKE f.pattern)
           ORDER BY r."createdAt" DESC LIMIT ${RECENT}`;
  const related = await tx.pipelineRun.findMany({
    where: { id: { in: sameFiles.map((r) => r.id) } },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      status: true,
      createdAt: true,
      diff: true,
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
        files: input.files.filter((f) => run.diff.includes(`+++ b/${f}`)),
        rolledBack: run.status === "rolled_back" || Boolean(rollback),
        incidentSummary: incident?.summary ?? rollback?.rollbackReason ?? null,
      };
    }),
  };
}
