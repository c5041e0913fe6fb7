import { describe, expect, it, vi } from "vitest";
import type { JobHelpers } from "graphile-worker";
import { CODE_HOST_DELIVERY_JOB } from "@/lib/code-host/intake/delivery-job";
import { taskList } from "@/lib/jobs/catalog";

const helpers = { job: { attempts: 2, max_attempts: 5 } } as unknown as JobHelpers;

describe("the job catalog", () => {
  it("claims code-host deliveries only in a process that handles them", () => {
    expect(Object.keys(taskList({ runStage: async () => {} }))).not.toContain(CODE_HOST_DELIVERY_JOB);
    expect(Object.keys(taskList({ runStage: async () => {}, handleCodeHostDelivery: async () => {} }))).toContain(CODE_HOST_DELIVERY_JOB);
  });

  it("validates a delivery job's payload when claimed and passes the attempt", async () => {
    const handleCodeHostDelivery = vi.fn(async () => {});
    const task = taskList({ runStage: async () => {}, handleCodeHostDelivery })[CODE_HOST_DELIVERY_JOB]!;
    await task({ deliveryId: "cdelivery" }, helpers);
    expect(handleCodeHostDelivery).toHaveBeenCalledWith({ deliveryId: "cdelivery" }, { attempt: 2, maxAttempts: 5 });
    await expect(task({ deliveryId: "" }, helpers)).rejects.toThrow();
    await expect(task({}, helpers)).rejects.toThrow();
  });
});
