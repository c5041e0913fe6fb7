import { z } from "zod";
import { appendAuditEvent, type AuditActor } from "../audit/chain/append-audit-event";
import type { Db, Prisma } from "../db/client";
import { DiffParseError, parseUnifiedDiff, type ParsedDiff } from "../diff/unified-diff";
import { diffBetween, GitError } from "../git/git";
import { DomainError } from "../errors";
import { enqueueStageJob } from "../pipeline/stage-job";
import { finishedRunStatuses, type Stage } from "../pipeline/stages";
import { endActiveRuns } from "./end-active-runs";
import { runDiffRow } from "./run-diff";

export const DEFAULT_MAX_DIFF_BYTES = 5 * 1024 * 1024;

const sha = z.string().regex(/^[0-9a-f]{7,64}$/i, "must be a hex commit SHA");

export const submitRunSchema = z
  .object({
    repository: z.string().trim().min(1, "name or id of a registered repository"),
    prNumber: z.number().int().positive(),
    title: z.string().trim().min(1).max(300),
    description: z.string().max(20_000).default(""),
    author: z.string().trim().min(1).max(200),
    baseSha: sha.optional(),
    headSha: sha.optional(),
    diff: z.string().optional(),
    baseRef: z.string().trim().min(1).max(250).optional(),
    headRef: z.string().trim().min(1).max(250).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.diff !== undefined) {
      if (!body.baseSha) ctx.addIssue({ code: "custom", path: ["baseSha"], message: "required with a diff" });
      if (!body.headSha) ctx.addIssue({ code: "custom", path: ["headSha"], message: "required with a diff" });
    } else if (!body.baseRef || !body.headRef) {
      ctx.addIssue({ code: "custom", path: ["diff"], message: "send a unified diff, or baseRef and headRef for a registered local repository" });
    }
  });
export type SubmitRunInput = z.input<typeof submitRunSchema>;

export interface SubmitRunResult {
  created: boolean;
  run: { id: string; status: string; headSha: string; pullRequestNumber: number; repository: string };
  superseded: string[];
}

/** Checks the diff and parses it: the one parse of a run's diff, stored as its facts. */
function checkDiff(diff: string, maxBytes: number): { bytes: number; parsed: ParsedDiff } {
  const bytes = Buffer.byteLength(diff, "utf8");
  if (bytes > maxBytes) {
    throw new DomainError("too_large", `The diff is ${bytes} bytes; the limit is ${maxBytes} bytes`, [{ path: "diff", message: `larger than ${maxBytes} bytes` }]);
  }
  if (diff.trim() === "") throw new DomainError("invalid", "The change is empty", [{ path: "diff", message: "no changes between base and head" }]);
  try {
    const parsed = parseUnifiedDiff(diff);
    if (parsed.files.every((f) => f.binary)) {
      throw new DomainError("invalid", "Binary-only change: there is nothing to review", [{ path: "diff", message: "every file in the diff is binary" }]);
    }
    return { bytes, parsed };
  } catch (err) {
    if (err instanceof DiffParseError) throw new DomainError("invalid", "The diff is not a valid unified diff", [{ path: "diff", message: err.message }]);
    throw err;
  }
}

/**
 * Intake: creates the PullRequest (or updates it), the PipelineRun and its first stage job in one
 * transaction, so an error leaves nothing half-created. The same PR and head SHA again returns
 * the existing run; a new head SHA supersedes the PR's active runs. `rerun` (a person asked the
 * code host to run the checks again) makes a new run of a head whose last run has ended.
 */
export async function submitRun(
  db: Db,
  options: {
    input: SubmitRunInput;
    actor: AuditActor;
    maxDiffBytes?: number;
    rerun?: boolean;
    /** A merged pull request's merge commit, to deploy (gate-only repositories): the run starts at the deployment stage. */
    afterMerge?: boolean;
  },
): Promise<SubmitRunResult> {
  const input = submitRunSchema.parse(options.input);
  const maxBytes = options.maxDiffBytes ?? DEFAULT_MAX_DIFF_BYTES;
  const repository = await db.repository.findFirst({ where: { OR: [{ name: input.repository }, { id: input.repository }] } });
  if (!repository) {
    throw new DomainError("not_found", `Unknown repository "${input.repository}": register it in Settings or with npm run ctl -- repo add`);
  }

  let { diff, baseSha, headSha } = input;
  if (diff === undefined) {
    if (repository.kind !== "local") {
      throw new DomainError("invalid", "This repository is not local; send the diff", [{ path: "diff", message: "required for remote repositories" }]);
    }
    try {
      ({ diff, baseSha, headSha } = await diffBetween(repository.location, input.baseRef!, input.headRef!, maxBytes));
    } catch (err) {
      if (err instanceof GitError) throw new DomainError("invalid", `git could not diff ${input.baseRef}...${input.headRef}: ${err.message}`, [{ path: "headRef", message: err.message }]);
      throw err;
    }
  }
  const { bytes: diffBytes, parsed } = checkDiff(diff!, maxBytes);

  const existing = await findExistingRun(db, repository.id, input.prNumber, headSha!);
  if (existing && !(options.rerun && (finishedRunStatuses as readonly string[]).includes(existing.status))) return { created: false, run: existing, superseded: [] };
  const rerun = existing ? existing.rerun + 1 : 0;

  try {
    return await db.$transaction(async (tx) => createRun(tx, { input, repository, diff: diff!, parsed, diffBytes, baseSha: baseSha!, headSha: headSha!, rerun, afterMerge: options.afterMerge ?? false, actor: options.actor }), {
      timeout: 30_000,
    });
  } catch (err) {
    // Two identical submissions at once: the unique (PR, head SHA) index lets one win.
    if ((err as { code?: string }).code === "P2002") {
      const winner = await findExistingRun(db, repository.id, input.prNumber, headSha!);
      if (winner) return { created: false, run: winner, superseded: [] };
    }
    throw err;
  }
}

/** The head's latest run (its last re-run). */
async function findExistingRun(db: Db, repositoryId: string, number: number, headSha: string) {
  const run = await db.pipelineRun.findFirst({
    where: { headSha, pullRequest: { repositoryId, number } },
    orderBy: { rerun: "desc" },
    include: { pullRequest: { include: { repository: true } } },
  });
  return run ? { ...summarize(run), rerun: run.rerun } : null;
}

function summarize(run: { id: string; status: string; headSha: string; pullRequest: { number: number; repository: { name: string } } }) {
  return { id: run.id, status: run.status, headSha: run.headSha, pullRequestNumber: run.pullRequest.number, repository: run.pullRequest.repository.name };
}

async function createRun(
  tx: Prisma.TransactionClient,
  args: {
    input: z.output<typeof submitRunSchema>;
    repository: { id: string; name: string };
    diff: string;
    parsed: ParsedDiff;
    diffBytes: number;
    baseSha: string;
    headSha: string;
    /** 0 for a head's first run, n for its n-th re-run. */
    rerun: number;
    afterMerge: boolean;
    actor: AuditActor;
  },
): Promise<SubmitRunResult> {
  const { input, repository } = args;
  const firstStage: Stage = args.afterMerge ? "deployment" : "review";
  const policy = await tx.policy.findFirst({ where: { active: true }, orderBy: { version: "desc" } });
  if (!policy) throw new DomainError("unavailable", "No active policy; restart Flowgate to create the default one");
  const pullRequest = await tx.pullRequest.upsert({
    where: { repositoryId_number: { repositoryId: repository.id, number: input.prNumber } },
    create: {
      repositoryId: repository.id,
      number: input.prNumber,
      title: input.title,
      description: input.description,
      author: input.author,
      baseRef: input.baseRef ?? args.baseSha,
      headRef: input.headRef ?? args.headSha,
    },
    update: { title: input.title, description: input.description, author: input.author, ...(input.headRef ? { headRef: input.headRef } : {}) },
  });

  const run = await tx.pipelineRun.create({
    data: {
      pullRequestId: pullRequest.id,
      baseSha: args.baseSha,
      headSha: args.headSha,
      rerun: args.rerun,
      afterMerge: args.afterMerge,
      diff: { create: runDiffRow(args.diff, args.parsed) },
      diffBytes: args.diffBytes,
      status: "queued",
      currentStage: firstStage,
      policyId: policy.id,
    },
  });
  // A merge commit's deployment leaves the pull request's own runs as they are (the last one is done).
  const superseded = args.afterMerge ? [] : await endActiveRuns(tx, { pullRequestId: pullRequest.id, exceptRunId: run.id, supersededBy: run.id, reason: "superseded by a newer head" });
  await tx.stageRun.create({ data: { runId: run.id, stage: firstStage, attempt: 1 } });
  await enqueueStageJob(tx, { runId: run.id, stage: firstStage, attempt: 1 });
  await appendAuditEvent(tx, {
    actor: args.actor,
    action: "run.submitted",
    subject: { type: "run", id: run.id },
    runId: run.id,
    repositoryId: repository.id,
    payload: {
      repository: repository.name,
      pullRequest: input.prNumber,
      title: input.title,
      author: input.author,
      baseSha: args.baseSha,
      headSha: args.headSha,
      diffBytes: args.diffBytes,
      policyVersion: policy.version,
      supersedes: superseded,
      ...(args.rerun > 0 ? { rerun: args.rerun } : {}),
      ...(args.afterMerge ? { afterMerge: true, firstStage } : {}),
    },
  });
  return {
    created: true,
    run: { id: run.id, status: run.status, headSha: run.headSha, pullRequestNumber: input.prNumber, repository: repository.name },
    superseded,
  };
}
