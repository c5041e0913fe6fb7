import { envVar } from "./env";

/** The web app's public URL; one variable, not env(): the engine's tests set no database URL. */
function appBaseUrl(): string {
  return (envVar("NEXTAUTH_URL") || "http://localhost:3000").replace(/\/+$/, "");
}

/** A run's page in the web app: stages, decisions, the diff and its audit events. */
export function runLink(runId: string): string {
  return `${appBaseUrl()}/runs/${encodeURIComponent(runId)}`;
}

/** The deployment's page in the web app, with its charts and incident report. */
export function deploymentLink(deploymentId: string): string {
  return `${appBaseUrl()}/deployments/${encodeURIComponent(deploymentId)}`;
}

/** The escalation's page in the web app, where a person decides it. */
export function escalationLink(escalationId: string): string {
  return `${appBaseUrl()}/escalations/${encodeURIComponent(escalationId)}`;
}
