import { createHash } from "node:crypto";
import { canonicalJson } from "../audit/chain/chain";
import type { DiffFacts } from "../diff/diff-facts";
import type { EscalationReason } from "../pipeline/escalation-reasons";
import type { StoredDecisionOutput } from "../review/review-output";

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
  history: PackageHistory;
  /** The agent's suggestion, labelled as such; a person decides. */
  suggestion: Suggestion | null;
}

export interface HistoryRun {
  runId: string;
  pullRequest: { number: number; title: string };
  status: string;
  createdAt: string;
}

export interface PackageHistory {
  /** The author's recent runs in this repository and how they ended. */
  authorRecentRuns: HistoryRun[];
  /** Earlier runs that touched the same files, with any rollbacks and incident reports. */
  sameFiles: (HistoryRun & { files: string[]; rolledBack: boolean; incidentSummary: string | null })[];
}

export interface Suggestion {
  decision: "approve" | "reject" | "request_changes";
  confidence: number;
  reasons: string[];
}

/**
 * A context package as read back from the database. Packages are stored JSON and never rewritten,
 * so those made by older versions lack the newer fields: readers take them as optional.
 */
export interface StoredContextPackage extends Omit<ContextPackage, "version" | "findings" | "history" | "suggestion"> {
  version: number;
  findings: (Omit<ContextPackage["findings"][number], "output"> & { output: StoredDecisionOutput | null })[];
  history?: { authorRecentRuns?: StoredHistoryRun[]; sameFiles?: StoredSameFilesRun[] };
  suggestion?: Suggestion | null;
}

export type StoredHistoryRun = Pick<HistoryRun, "runId" | "status"> & Partial<Pick<HistoryRun, "pullRequest" | "createdAt">>;
export type StoredSameFilesRun = StoredHistoryRun & Partial<Pick<PackageHistory["sameFiles"][number], "files" | "rolledBack" | "incidentSummary">>;

export function buildContextPackage(input: {
  reasons: EscalationReason[];
  repository: string;
  pullRequest: { number: number; title: string; author: string };
  headSha: string;
  diff: DiffFacts | null;
  decision: { stage: string; agent: string; provider: string; model: string | null; riskScore: number | null; rationale: string; output: unknown } | null;
  notChecked: string[];
  history: PackageHistory;
  suggestion: Suggestion | null;
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
    history: input.history,
    suggestion: input.suggestion,
  };
}

/**
 * A transparent rule of thumb, not a model: blocking security findings (critical) suggest
 * changes; an agent error or unreviewed files suggest a careful look; a structural reason alone
 * (API break, schema change, integration) with low risk and a clean author history leans approve.
 */
export function suggestDecision(input: { reasons: EscalationReason[]; criticalFindings: number; riskScore: number | null; authorRollbacks: number }): Suggestion | null {
  const codes = input.reasons.map((r) => r.code);
  if (input.criticalFindings > 0) {
    return { decision: "request_changes", confidence: 0.8, reasons: [`${input.criticalFindings} critical finding(s) should be fixed before this ships.`] };
  }
  if (codes.includes("agent_error") || codes.includes("unreviewed_files")) return null;
  const structural = codes.every((c) => ["api_break", "schema_change", "new_integration", "high_risk"].includes(c));
  if (structural && (input.riskScore ?? 10) <= 7 && input.authorRollbacks === 0) {
    return {
      decision: "approve",
      confidence: 0.6,
      reasons: ["Only structural rules fired and the risk is moderate.", "The author has no rollbacks in this repository."],
    };
  }
  return null;
}

export function contextPackageHash(pkg: ContextPackage): string {
  return createHash("sha256").update(canonicalJson(pkg)).digest("hex");
}
