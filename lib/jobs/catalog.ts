import type { TaskList } from "graphile-worker";

/**
 * The job catalog: the only contract between the web app (which enqueues, inside its
 * transactions) and the runner (which claims). Stage jobs are added by the pipeline engine.
 */
export function taskList(): TaskList {
  return {};
}
