import { json, route } from "@/lib/http/route";

export const GET = route(
  async ({ db }) => {
    const runs = await db.pipelineRun.findMany({
      orderBy: { createdAt: "desc" },
      take: 100,
      select: {
        id: true,
        status: true,
        currentStage: true,
        headSha: true,
        createdAt: true,
        updatedAt: true,
        pullRequest: { select: { number: true, title: true, author: true, repository: { select: { name: true } } } },
      },
    });
    return json({ runs });
  },
  { permission: "runs:read" },
);
