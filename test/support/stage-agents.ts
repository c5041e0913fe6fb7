import type { StageAgent } from "../../agents/engine/stage-agent";
import { stages, type Stage } from "../../lib/pipeline/stages";

/**
 * The agents a test is about, with every other stage filled by an agent that throws if it is
 * ever run. The engine needs an agent for every stage; a test calls runStageJob only for the
 * stages it exercises, so a run it moves past them waits, queued, at the next one.
 */
export function stageAgents(agents: Partial<Record<Stage, StageAgent>>): Record<Stage, StageAgent> {
  const all = {} as Record<Stage, StageAgent>;
  for (const stage of stages) {
    all[stage] = agents[stage] ?? {
      stage,
      async run() {
        throw new Error(`the ${stage} agent is not part of this test`);
      },
    };
  }
  return all;
}
