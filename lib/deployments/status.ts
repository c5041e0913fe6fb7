import type { DeploymentStatus, Environment } from "../db/generated/enums";

/** Every deployment status, in the order a deployment moves through them. */
export const deploymentStatuses = ["pending", "deploying", "canary", "promoted", "rolled_back", "failed"] as const satisfies readonly DeploymentStatus[];

export const environments = ["staging", "production"] as const satisfies readonly Environment[];

/** Statuses in which an agent is still writing steps and samples: the pages poll while in one. */
export const liveDeploymentStatuses: readonly DeploymentStatus[] = ["pending", "deploying", "canary"];

export function isLiveDeployment(status: string): boolean {
  return (liveDeploymentStatuses as readonly string[]).includes(status);
}
