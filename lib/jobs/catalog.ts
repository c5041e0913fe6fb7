import type { TaskList } from "graphile-worker";
import { CODE_HOST_DELIVERY_JOB, codeHostDeliveryJobPayloadSchema, type CodeHostDeliveryJobPayload } from "../code-host/intake/delivery-job";
import { PUBLISH_JOB, publishJobPayloadSchema, type PublishJobPayload } from "../code-host/publish/outbox";
import { NOTIFICATION_JOB, notificationJobPayloadSchema } from "../notifications/notify";
import { STAGE_JOB, stageJobPayloadSchema, type StageJobPayload } from "../pipeline/stage-job";

/** Which queue attempt this is, so a handler knows whether a failure is its last. */
export interface JobAttempt {
  attempt: number;
  maxAttempts: number;
}

/**
 * The job catalog: the only contract between the web app (which enqueues, inside its
 * transactions) and the runner (which claims). Each payload is validated when enqueued and again
 * when claimed.
 */
export function taskList(handlers: {
  runStage: (payload: StageJobPayload, attempt: JobAttempt) => Promise<void>;
  // Optional so a process that only runs stages (the engine benchmark) need not deliver; a
  // notification job waits in the queue until a runner that has the handler claims it.
  deliverNotification?: (payload: { notificationId: string }, attempt: JobAttempt) => Promise<void>;
  // Optional for the same reason: a webhook delivery (app/api/v1/hooks/github) waits in the queue
  // until a runner that acts on code-host events claims it.
  handleCodeHostDelivery?: (payload: CodeHostDeliveryJobPayload, attempt: JobAttempt) => Promise<void>;
  // And again: a publication (lib/code-host/outbox.ts) waits until a runner that can reach the host claims it.
  publishToCodeHost?: (payload: PublishJobPayload) => Promise<void>;
}): TaskList {
  const tasks: TaskList = {
    [STAGE_JOB]: async (payload, helpers) =>
      handlers.runStage(stageJobPayloadSchema.parse(payload), { attempt: helpers.job.attempts, maxAttempts: helpers.job.max_attempts }),
  };
  const { deliverNotification } = handlers;
  if (deliverNotification) {
    tasks[NOTIFICATION_JOB] = async (payload, helpers) =>
      deliverNotification(notificationJobPayloadSchema.parse(payload), { attempt: helpers.job.attempts, maxAttempts: helpers.job.max_attempts });
  }
  const { handleCodeHostDelivery } = handlers;
  if (handleCodeHostDelivery) {
    tasks[CODE_HOST_DELIVERY_JOB] = async (payload, helpers) =>
      handleCodeHostDelivery(codeHostDeliveryJobPayloadSchema.parse(payload), { attempt: helpers.job.attempts, maxAttempts: helpers.job.max_attempts });
  }
  const { publishToCodeHost } = handlers;
  if (publishToCodeHost) tasks[PUBLISH_JOB] = async (payload) => publishToCodeHost(publishJobPayloadSchema.parse(payload));
  return tasks;
}
