import { createHash } from "node:crypto";
import { z } from "zod";
import { git } from "../../lib/git/git";

/** How the candidate behaves relative to the baseline service. */
export interface PerformanceProfile {
  /** Multiplies the candidate's latencies (1 = as fast as the baseline). */
  latencyFactor: number;
  /** Percent points added to the candidate's error rate. */
  extraErrorRate: number;
  /** A smoke check that fails on the simulated target, e.g. "GET /health returned 500"; null: none. */
  smokeFailure: string | null;
  /**
   * Overrides for production only: a change that looks fine on staging and misbehaves under
   * production traffic (the failures a canary exists to catch).
   */
  production?: { latencyFactor?: number; extraErrorRate?: number };
}

export const neutralProfile: PerformanceProfile = Object.freeze({ latencyFactor: 1, extraErrorRate: 0, smokeFailure: null });

/** Where a pull request may carry its profile, relative to the repository root. */
export const PROFILE_PATH = ".flowgate/performance-profile.json";

// Strict, so a misspelt field ("latencyFactr") is an error instead of a silently neutral profile.
export const performanceProfileSchema = z.strictObject({
  latencyFactor: z.number().min(0.1).max(20).default(1),
  extraErrorRate: z.number().min(0).max(100).default(0),
  smokeFailure: z.string().trim().min(1).max(300).nullable().default(null),
  production: z
    .strictObject({ latencyFactor: z.number().min(0.1).max(20).optional(), extraErrorRate: z.number().min(0).max(100).optional() })
    .optional(),
});

/** The profile as one environment sees it: production applies its overrides. */
export function profileIn(profile: PerformanceProfile, environment: "staging" | "production"): PerformanceProfile {
  if (environment !== "production" || !profile.production) return profile;
  return { ...profile, ...profile.production };
}

export class PerformanceProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PerformanceProfileError";
  }
}

/**
 * The profile a PR carries: `.flowgate/performance-profile.json` at its head commit if present,
 * otherwise derived from the run id (derivedProfile). Fields left out of the file are neutral.
 * A file that is not JSON or has a wrong field is an error naming the field: a profile the author
 * meant must never quietly turn into a neutral one.
 */
export async function profileForRun(options: { repositoryPath: string; headSha: string; runId: string }): Promise<PerformanceProfile> {
  // ls-tree answers "absent" with empty output in any locale; `git show` on a missing path only
  // says so in a (translatable) error message. An unknown commit still fails here, as it should.
  const listed = await git(options.repositoryPath, ["ls-tree", "--name-only", options.headSha, "--", PROFILE_PATH]);
  if (listed.trim() === "") return derivedProfile(options.runId);

  const where = `${PROFILE_PATH} at ${options.headSha.slice(0, 12)}`;
  const text = await git(options.repositoryPath, ["show", `${options.headSha}:${PROFILE_PATH}`]);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PerformanceProfileError(`${where} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = performanceProfileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(file)"}: ${issue.message}`);
    throw new PerformanceProfileError(`${where} is malformed: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** Share of runs without a profile file that get a slightly slower candidate. */
export const DERIVED_SLOWER_SHARE = 0.1;

/**
 * The rule for a run without a profile file, a pure function of the run id so that a retried
 * stage sees the same candidate: SHA-256 of "flowgate-profile:<runId>"; its first 32 bits as a
 * fraction below DERIVED_SLOWER_SHARE (10%) make the candidate slightly slower, with a latency
 * factor of 1.10–1.30 from the next 32 bits (two decimals); every other run is neutral. No
 * derived profile adds errors or fails a smoke check: those happen only when a PR asks for them.
 */
export function derivedProfile(runId: string): PerformanceProfile {
  const digest = createHash("sha256").update(`flowgate-profile:${runId}`).digest();
  const pick = digest.readUInt32BE(0) / 2 ** 32;
  if (pick >= DERIVED_SLOWER_SHARE) return { ...neutralProfile };
  const amount = digest.readUInt32BE(4) / 2 ** 32;
  return { latencyFactor: Math.round((1.1 + 0.2 * amount) * 100) / 100, extraErrorRate: 0, smokeFailure: null };
}
