/** The pipeline's stages, in order. A run moves forward through them or stops. */
export const stages = ["review", "test", "staging", "validation", "deployment"] as const;
export type Stage = (typeof stages)[number];

export function nextStage(stage: Stage): Stage | null {
  const index = stages.indexOf(stage);
  return index === stages.length - 1 ? null : stages[index + 1];
}

export const stageLabels: Record<Stage, string> = {
  review: "Review",
  test: "Test",
  staging: "Staging",
  validation: "Validation",
  deployment: "Deployment",
};

/** Run statuses after which nothing more happens to a run. */
export const finishedRunStatuses = ["done", "rejected", "changes_requested", "failed", "rolled_back", "superseded", "cancelled"] as const;
/** Run statuses a newer head SHA supersedes. */
export const activeRunStatuses = ["queued", "running", "escalated"] as const;

/** Whether a run in this status may still change: not ended, superseded or closed. */
export function isActiveRunStatus(status: string): boolean {
  return (activeRunStatuses as readonly string[]).includes(status);
}
