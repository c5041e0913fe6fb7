import { createHash } from "node:crypto";
import { canonicalJson } from "../audit/chain";
import type { ParsedDiff } from "../diff/unified-diff";
import type { EscalationReason } from "../pipeline/escalation-reasons";

/**
 * What a reviewer needs to decide, assembled when the escalation is created and stored with it,
 * so it shows what the agents saw at that moment.
 */
export interface ContextPackage {
  version: 1;
  reasons: EscalationReason[];
  change: {
    repository: string;
    pullRequest: { number: number; title: string; author: string };
    headSha: string;
    files: { path: string; status: string; additions: number; deletions: number; binary: boolean }[];
    additions: number;
    deletions: number;
  };
  findings: { stage: string; agent: string; provider: string; model: string | null; riskScore: number | null; rationale: string; output: unknown }[];
  notChecked: string[];
}

export function buildContextPackage(input: {
  reasons: EscalationReason[];
  repository: string;
  pullRequest: { number: number; title: string; author: string };
  headSha: string;
  diff: ParsedDiff | null;
  decision: { stage: string; agent: string; provider: string; model: string | null; riskScore: number | null; rationale: string; output: unknown } | null;
  notChecked: string[];
}): ContextPackage {
  return {
    version: 1,
    reasons: input.reasons,
    change: {
      repository: input.repository,
      pullRequest: input.pullRequest,
      headSha: input.headSha,
      files: (input.diff?.files ?? []).map((f) => ({ path: f.path, status: f.status, additions: f.additions, deletions: f.deletions, binary: f.binary })),
      additions: input.diff?.additions ?? 0,
      deletions: input.diff?.deletions ?? 0,
    },
    findings: input.decision ? [input.decision] : [],
    notChecked: input.notChecked,
  };
}

export function contextPackageHash(pkg: ContextPackage): string {
  return createHash("sha256").update(canonicalJson(pkg)).digest("hex");
}
