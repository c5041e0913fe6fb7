import type { TaskList } from "graphile-worker";
import { STAGE_JOB, stageJobPayloadSchema, type StageJobPayload } from "./stage-job";

/**
 * The job catalog: the only contract between the web app (which enqueues, inside its
 * transactions) and the runner (which claims). Each payload is validated when enqueued and again
 * when claimed.
 */
export function taskList(handlers: { runStage: (payload: StageJobPayload) => Promise<void> }): TaskList {
  return {
    [STAGE_JOB]: async (payload) => handlers.runStage(stageJobPayloadSchema.parse(payload)),
  };
}
