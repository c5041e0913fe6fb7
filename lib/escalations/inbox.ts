import { z } from "zod";
import type { Db, Prisma } from "../db/client";
import { escalationReasonCodes } from "../pipeline/escalation-reasons";

export const inboxFilterSchema = z.object({
  reason: z.enum(escalationReasonCodes).optional(),
  repository: z.string().trim().min(1).optional(),
  /** "me", "unassigned", or a user id. */
  assignee: z.string().trim().min(1).optional(),
  overdue: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});
export type InboxFilter = z.infer<typeof inboxFilterSchema>;

export interface InboxItem {
  id: string;
  runId: string;
  repository: string;
  pullRequest: { number: number; title: string; author: string };
  stage: string;
  reasons: string[];
  reasonLabels: string[];
  createdAt: string;
  dueAt: string;
  overdue: boolean;
  assignee: { id: string; email: string; name: string } | null;
  approvals: number;
}

function whereFor(filter: Omit<InboxFilter, "limit">, userId: string, now: Date): Prisma.EscalationWhereInput {
  return {
    status: "open",
    ...(filter.reason ? { reasons: { has: filter.reason } } : {}),
    ...(filter.repository ? { run: { pullRequest: { repository: { name: filter.repository } } } } : {}),
    ...(filter.assignee === "me" ? { assigneeId: userId } : filter.assignee === "unassigned" ? { assigneeId: null } : filter.assignee ? { assigneeId: filter.assignee } : {}),
    ...(filter.overdue === true ? { dueAt: { lt: now } } : filter.overdue === false ? { dueAt: { gte: now } } : {}),
  };
}

/** Open escalations, oldest due first, with counts per reason over the same filters (except reason). */
export async function listInbox(db: Db, options: { filter: InboxFilter; userId: string; now?: Date }) {
  const now = options.now ?? new Date();
  const { limit, reason, ...rest } = options.filter;
  const [rows, total, byReason] = await Promise.all([
    db.escalation.findMany({
      where: whereFor({ ...rest, reason }, options.userId, now),
      orderBy: [{ dueAt: "asc" }, { id: "asc" }],
      take: limit,
      select: {
        id: true,
        runId: true,
        stage: true,
        reasons: true,
        reasonLabels: true,
        createdAt: true,
        dueAt: true,
        assignee: { select: { id: true, email: true, name: true } },
        run: { select: { pullRequest: { select: { number: true, title: true, author: true, repository: { select: { name: true } } } } } },
        _count: { select: { decisions: { where: { decision: "approve" } } } },
      },
    }),
    db.escalation.count({ where: whereFor({ ...rest, reason }, options.userId, now) }),
    db.escalation.findMany({ where: whereFor(rest, options.userId, now), select: { reasons: true } }),
  ]);
  const counts: Record<string, number> = {};
  for (const row of byReason) for (const code of row.reasons) counts[code] = (counts[code] ?? 0) + 1;
  const items: InboxItem[] = rows.map((row) => ({
    id: row.id,
    runId: row.runId,
    repository: row.run.pullRequest.repository.name,
    pullRequest: { number: row.run.pullRequest.number, title: row.run.pullRequest.title, author: row.run.pullRequest.author },
    stage: row.stage,
    reasons: row.reasons,
    reasonLabels: row.reasonLabels,
    createdAt: row.createdAt.toISOString(),
    dueAt: row.dueAt.toISOString(),
    overdue: row.dueAt < now,
    assignee: row.assignee,
    approvals: row._count.decisions,
  }));
  return { items, total, counts, now: now.toISOString() };
}

/** GET /api/v1/escalations: a page of the inbox with the total and the counts by reason. */
export type InboxResponse = Awaited<ReturnType<typeof listInbox>>;
