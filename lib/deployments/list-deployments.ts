import { z } from "zod";
import type { Db } from "../db/client";
import type { Prisma } from "../db/generated/client";
import { deploymentStatuses, deploymentSummary, environments, liveDeploymentStatuses } from "./status";

export const MAX_DEPLOYMENT_PAGE = 200;

/** `<startedAt ISO>~<id>` of the last row shown: the next page starts after it. */
const cursorSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z~[A-Za-z0-9_-]{1,64}$/, "a cursor from nextCursor (<time>~<id>)")
  .transform((cursor, ctx) => {
    const [at, id] = cursor.split("~");
    const startedAt = new Date(at);
    if (Number.isNaN(startedAt.getTime())) {
      ctx.addIssue({ code: "custom", message: "the cursor's time is not a date" });
      return z.NEVER;
    }
    return { startedAt, id };
  });

/** Query parameters of the list; unknown ones are refused, so a misspelt filter is a 422, not an unfiltered list. */
export const deploymentListQuerySchema = z.strictObject({
  environment: z.enum(environments).optional(),
  /** One status, or "live" for every status an agent is still working in. */
  status: z.enum([...deploymentStatuses, "live"]).optional(),
  repository: z.string().trim().min(1).max(200).optional(),
  runId: z.string().trim().min(1).max(64).optional(),
  before: cursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_DEPLOYMENT_PAGE).default(50),
});
export type DeploymentListQuery = z.output<typeof deploymentListQuerySchema>;

export interface DeploymentListItem {
  id: string;
  environment: string;
  strategy: string;
  target: string;
  trafficPercent: number;
  status: string;
  live: boolean;
  startedAt: string;
  finishedAt: string | null;
  rollbackReason: string | null;
  /** The run is part of a simulated history (`ctl simulate-history`), not real traffic. */
  run: { id: string; status: string; simulated: boolean };
  pullRequest: { number: number; title: string; author: string };
  repository: string;
}

export interface DeploymentListPage {
  deployments: DeploymentListItem[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextCursor: string | null;
  /** Every repository's name, for the filter. */
  repositories: string[];
}

/** Deployments, newest first, one keyset page at a time. */
export async function listDeployments(db: Db, query: DeploymentListQuery): Promise<DeploymentListPage> {
  const where: Prisma.DeploymentWhereInput = {
    environment: query.environment,
    status: query.status === "live" ? { in: [...liveDeploymentStatuses] } : query.status,
    runId: query.runId,
    ...(query.repository ? { run: { pullRequest: { repository: { name: query.repository } } } } : {}),
    ...(query.before
      ? { OR: [{ startedAt: { lt: query.before.startedAt } }, { startedAt: query.before.startedAt, id: { lt: query.before.id } }] }
      : {}),
  };
  const [rows, repositories] = await Promise.all([
    db.deployment.findMany({
      where,
      orderBy: [{ startedAt: "desc" }, { id: "desc" }],
      take: query.limit + 1,
      select: {
        id: true,
        environment: true,
        strategy: true,
        target: true,
        trafficPercent: true,
        status: true,
        startedAt: true,
        finishedAt: true,
        rollbackReason: true,
        run: {
          select: {
            id: true,
            status: true,
            simulated: true,
            pullRequest: { select: { number: true, title: true, author: true, repository: { select: { name: true } } } },
          },
        },
      },
    }),
    db.repository.findMany({ select: { name: true }, orderBy: { name: "asc" } }),
  ]);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    deployments: page.map((row) => ({
      ...deploymentSummary(row),
      run: { id: row.run.id, status: row.run.status, simulated: row.run.simulated },
      pullRequest: { number: row.run.pullRequest.number, title: row.run.pullRequest.title, author: row.run.pullRequest.author },
      repository: row.run.pullRequest.repository.name,
    })),
    nextCursor: rows.length > query.limit && last ? `${last.startedAt.toISOString()}~${last.id}` : null,
    repositories: repositories.map((repository) => repository.name),
  };
}
