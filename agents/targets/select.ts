import { createCommandTarget } from "./command-target";
import type { DeploySettings } from "../../lib/repositories/deploy-settings";
import { createPrometheusSource } from "./prometheus-source";
import { createSimulatedMetricSource } from "./simulated-metric-source";
import { createSimulatedTarget } from "./simulated-target";
import type { DeployTarget, Environment, MetricSource } from "./types";
import { createWebhookTarget } from "./webhook-target";

/** The one place the staging, validation and deployment agents get their target and source from. */
export { deploySettingsOf, deploySettingsSchema, DeploySettingsError, realDurationMs, type DeploySettings } from "../../lib/repositories/deploy-settings";
export { runSmokeChecks } from "./smoke-checks";

export function createDeployTarget(settings: DeploySettings, environment: Environment): DeployTarget {
  const target = settings[environment].target;
  switch (target.kind) {
    case "simulated":
      return createSimulatedTarget();
    case "command":
      return createCommandTarget(target);
    case "webhook":
      return createWebhookTarget(target);
  }
}

export function createMetricSource(settings: DeploySettings, environment: Environment): MetricSource {
  const { metricSource, target } = settings[environment];
  switch (metricSource.kind) {
    case "simulated":
      // The schema allows the simulated source only with the simulated target, whose traffic it reads.
      return createSimulatedMetricSource(target.kind === "simulated" ? { requestsPerSecond: target.requestsPerSecond, capacityFactor: target.capacityFactor } : {});
    case "prometheus":
      return createPrometheusSource(metricSource);
  }
}
