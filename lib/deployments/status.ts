import type { DeploymentStatus, Environment } from "../db/generated/enums";

/** Every deployment status, in the order a deployment moves through them. */
export const deploymentStatuses = ["pending", "deploying", "canary", "promoted", "rolled_back", "failed"] as const satisfies readonly DeploymentStatus[];

export const environments = ["staging", "production"] as const satisfies readonly Environment[];

/** Statuses in which an agent is still writing steps and samples: the pages poll while in one. */
export const liveDeploymentStatuses: readonly DeploymentStatus[] = ["pending", "deploying", "canary"];

export function isLiveDeployment(status: string): boolean {
  return (liveDeploymentStatuses as readonly string[]).includes(status);
}

/** The fields of a deployment that the list and the detail both show, as the API sends them. */
export function deploymentSummary(row: {
  id: string;
  environment: string;
  strategy: string;
  target: string;
  trafficPercent: number;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  rollbackReason: string | null;
}) {
  return {
    id: row.id,
    environment: row.environment,
    strategy: row.strategy,
    target: row.target,
    trafficPercent: row.trafficPercent,
    status: row.status,
    live: isLiveDeployment(row.status),
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    rollbackReason: row.rollbackReason,
  };
}
