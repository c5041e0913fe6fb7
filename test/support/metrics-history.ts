import { expect } from "vitest";
import type { Db } from "../../lib/db/client";
import type { HistoryRun } from "./metrics-reference";
import { teamMappingOf, teamOf } from "../../lib/metrics/teams";

/** Every run in the database as the reference computation reads it (fine for test-sized data). */
export async function loadHistory(db: Db): Promise<HistoryRun[]> {
  const runs = await db.pipelineRun.findMany({
    include: {
      pullRequest: { include: { repository: { select: { name: true, settings: true } } } },
      stageRuns: { select: { stage: true, attempt: true, status: true, queuedAt: true, startedAt: true, finishedAt: true } },
      escalations: { select: { id: true, stage: true, reasons: true, status: true, createdAt: true, decidedAt: true } },
      deployments: { select: { id: true, environment: true, status: true, startedAt: true, finishedAt: true, incidentReport: true } },
    },
  });
  return runs.map((run) => ({
    id: run.id,
    repository: run.pullRequest.repository.name,
    team: teamOf(run.pullRequest.author, teamMappingOf(run.pullRequest.repository.settings)),
    simulated: run.simulated,
    pullRequestOpenedAt: run.pullRequest.openedAt,
    pullRequestFirstCommitAt: run.pullRequest.firstCommitAt,
    createdAt: run.createdAt,
    stageRuns: run.stageRuns,
    escalations: run.escalations,
    deployments: run.deployments.map(({ incidentReport, ...deployment }) => ({ ...deployment, incident: incidentReport !== null })),
  }));
}

/** Deep equality where numbers may differ in the last bits (sums taken in another order). */
export function expectClose(actual: unknown, expected: unknown, path = "report") {
  if (typeof expected === "number" && typeof actual === "number") {
    expect(Math.abs(actual - expected), `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
    return;
  }
  if (expected && typeof expected === "object") {
    expect(actual && typeof actual === "object", `${path} should be an object`).toBeTruthy();
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual as object)]);
    for (const key of keys) expectClose((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}.${key}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}
