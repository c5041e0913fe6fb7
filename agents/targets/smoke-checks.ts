import { runStep } from "./command-target";
import { fillTemplate, templateValues } from "./deploy-variables";
import type { DeployContext, DeployTarget, SmokeCheck, SmokeResult } from "./types";

const DEFAULT_HTTP_TIMEOUT_SECONDS = 10;
const DEFAULT_COMMAND_TIMEOUT_SECONDS = 60;
const SMOKE_MEMORY_LIMIT_MB = 1024;
const BODY_EXCERPT_CHARS = 200;

/** What the simulated service is checked with when the repository configures no smoke checks. */
export const SIMULATED_SMOKE_CHECKS: SmokeCheck[] = [
  { name: "GET /health", expectStatus: 200 },
  { name: "GET /api/orders", expectStatus: 200 },
];

/**
 * Runs a deployment's smoke checks one after another and reports each. HTTP checks fetch the URL
 * (placeholders such as {{pullRequestNumber}} filled from the run) and compare the status
 * (default 200) and, if given, the body; command checks pass on exit code 0 within their time
 * limit. The simulated target has no real service to call: there every check passes except the
 * one the candidate's profile names (see simulatedSmokeResults).
 */
export async function runSmokeChecks(
  checks: SmokeCheck[],
  ctx: DeployContext,
  target: DeployTarget,
  options: { fetchImpl?: typeof fetch } = {},
): Promise<SmokeResult[]> {
  if (target.kind === "simulated") return simulatedSmokeResults(checks.length > 0 ? checks : SIMULATED_SMOKE_CHECKS, ctx);
  const results: SmokeResult[] = [];
  for (const check of checks) {
    if (check.url) results.push(await httpCheck(check, check.url, ctx, options.fetchImpl ?? fetch));
    else if (check.command) results.push(await commandCheck(check, check.command, ctx));
    else results.push({ name: check.name, ok: false, detail: "has neither a url nor a command to check" });
  }
  return results;
}

/**
 * A profile's smokeFailure ("GET /health returned 500") fails the check whose name it starts
 * with; if it names no configured check it is reported as a failed check of its own, so a
 * failure the PR asked for is never lost to the repository's choice of checks.
 */
export function simulatedSmokeResults(checks: SmokeCheck[], ctx: DeployContext): SmokeResult[] {
  const failure = ctx.profile.smokeFailure;
  const names = (check: SmokeCheck) => failure !== null && (failure === check.name || failure.startsWith(`${check.name} `) || failure.startsWith(`${check.name}:`));
  const results = checks.map((check): SmokeResult =>
    names(check)
      ? { name: check.name, ok: false, detail: `${failure} (simulated service)` }
      : { name: check.name, ok: true, detail: `passed on the simulated service${check.expectStatus ? ` (${check.expectStatus})` : ""}` },
  );
  if (failure !== null && !checks.some(names)) results.push({ name: failure, ok: false, detail: `${failure} (simulated service)` });
  return results;
}

async function httpCheck(check: SmokeCheck, template: string, ctx: DeployContext, fetchImpl: typeof fetch): Promise<SmokeResult> {
  const expected = check.expectStatus ?? 200;
  const timeoutSeconds = check.timeoutSeconds ?? DEFAULT_HTTP_TIMEOUT_SECONDS;
  let url: string;
  try {
    url = fillTemplate(template, templateValues(ctx), encodeURIComponent);
  } catch (err) {
    return { name: check.name, ok: false, detail: (err as Error).message };
  }
  try {
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutSeconds * 1000) });
    const body = await response.text();
    if (response.status !== expected) return { name: check.name, ok: false, detail: `GET ${url} returned ${response.status}, expected ${expected}${excerpt(body)}` };
    if (check.bodyIncludes !== undefined && !body.includes(check.bodyIncludes)) {
      return { name: check.name, ok: false, detail: `GET ${url} returned ${response.status} but the body does not include ${JSON.stringify(check.bodyIncludes)}${excerpt(body)}` };
    }
    return { name: check.name, ok: true, detail: `GET ${url} returned ${response.status}${check.bodyIncludes !== undefined ? ` with ${JSON.stringify(check.bodyIncludes)} in the body` : ""}` };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { name: check.name, ok: false, detail: `GET ${url} ${timedOut ? `gave no answer within ${timeoutSeconds} s` : `failed: ${(err as Error).message}${cause ? ` (${cause})` : ""}`}` };
  }
}

async function commandCheck(check: SmokeCheck, command: string, ctx: DeployContext): Promise<SmokeResult> {
  const timeLimitMs = (check.timeoutSeconds ?? DEFAULT_COMMAND_TIMEOUT_SECONDS) * 1000;
  const result = await runStep(command, ctx, { step: "smoke" }, { timeLimitMs, memoryLimitMb: SMOKE_MEMORY_LIMIT_MB });
  const output = result.output?.trim();
  return { name: check.name, ok: result.ok, detail: output ? `${result.summary}: ${output.slice(-BODY_EXCERPT_CHARS * 2)}` : result.summary };
}

const excerpt = (body: string) => (body.trim() ? `: ${body.trim().slice(0, BODY_EXCERPT_CHARS)}` : "");
