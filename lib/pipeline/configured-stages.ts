import type { Stage } from "./stages";

/**
 * Stages that have an agent. The runner registers exactly these, and the web app consults the
 * same list when a human approval moves a run on, so both agree on where a run waits.
 * Later stages join the list as their agents land.
 */
export const configuredStages: readonly Stage[] = ["review", "test", "staging", "validation", "deployment"];

export function isStageConfigured(stage: Stage): boolean {
  return configuredStages.includes(stage);
}
