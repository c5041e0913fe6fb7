import { requiredApprovalsFor } from "@/lib/policy/approval-rules";
import type { EscalationReason } from "@/lib/pipeline/escalation-reasons";

/**
 * The escalation as GET /api/v1/escalations/{id} sends it. The context package is stored JSON,
 * so everything optional here is read defensively: older packages lack the newer fields.
 */
export interface Finding {
  file: string;
  line: number | null;
  severity: "low" | "medium" | "high" | "critical" | string;
  message: string;
}

export interface ReviewOutput {
  risk_score?: number;
  security_issues?: Finding[];
  performance_concerns?: Finding[];
  coverage_gaps?: Finding[];
  api_breaking_changes?: Finding[];
  review_rationale?: string;
}

export interface RulesOutput {
  findings?: (Finding & { rule?: string; category?: string; engine?: string })[];
  riskFloor?: number;
  unreviewedFiles?: { file: string; reason: string; engine?: string }[];
}

export interface PackageFinding {
  stage: string;
  agent: string;
  provider: string;
  model: string | null;
  riskScore: number | null;
  rationale: string;
  output: { review?: ReviewOutput; rules?: RulesOutput } | null;
}

export interface HistoryRun {
  runId: string;
  pullRequest?: { number: number; title: string };
  status: string;
  createdAt?: string;
}

export interface SameFilesRun extends HistoryRun {
  files?: string[];
  rolledBack?: boolean;
  incidentSummary?: string | null;
}

export interface ContextPackageView {
  version: number;
  reasons: EscalationReason[];
  change: {
    repository: string;
    pullRequest: { number: number; title: string; author: string };
    headSha: string;
    files: { path: string; status: string; additions: number; deletions: number; binary: boolean }[];
    additions: number;
    deletions: number;
  };
  findings: PackageFinding[];
  notChecked: string[];
  history?: { authorRecentRuns?: HistoryRun[]; sameFiles?: SameFilesRun[] };
  suggestion?: { decision: string; confidence: number; reasons: string[] };
}

export interface RecordedDecision {
  id: string;
  decision: "approve" | "reject" | "request_changes";
  rationale: string;
  contextHash: string;
  createdAt: string;
  user: { id: string; email: string; name: string };
}

export interface EscalationDetail {
  id: string;
  runId: string;
  stage: string;
  status: "open" | "approved" | "rejected" | "changes_requested" | "cancelled";
  reasons: string[];
  reasonLabels: string[];
  contextPackage: ContextPackageView;
  contextHash: string;
  dueAt: string;
  createdAt: string;
  decidedAt: string | null;
  assignee: { id: string; email: string; name: string } | null;
  decisions: RecordedDecision[];
  run: {
    id: string;
    status: string;
    currentStage: string | null;
    riskScore: number | null;
    headSha: string;
    baseSha: string;
    policy: { version: number; rules: { escalation?: { twoApprovalReasons?: string[] } } & Record<string, unknown> };
    pullRequest: { number: number; title: string; description: string; author: string; repository: { name: string } };
  };
}

export type DecisionKind = RecordedDecision["decision"];

export const decisionNames: Record<DecisionKind, string> = {
  approve: "Approve",
  reject: "Reject",
  request_changes: "Request changes",
};

/** The server's rule (lib/escalations/approval-rules.ts) applied to the escalation as the page has it. */
export function requiredApprovals(escalation: EscalationDetail): number {
  return requiredApprovalsFor(escalation.reasons, escalation.run.policy.rules.escalation?.twoApprovalReasons);
}

export function approvalsSoFar(escalation: EscalationDetail): number {
  return escalation.decisions.filter((d) => d.decision === "approve").length;
}

/** Every finding of the review with the group it belongs to, in the order a reviewer reads them. */
export const findingGroups: { key: keyof ReviewOutput; label: string }[] = [
  { key: "security_issues", label: "Security issues" },
  { key: "api_breaking_changes", label: "API breaks" },
  { key: "performance_concerns", label: "Performance concerns" },
  { key: "coverage_gaps", label: "Coverage gaps" },
];

export function reviewFindings(pkg: ContextPackageView): (Finding & { group: string })[] {
  return (pkg.findings ?? []).flatMap((source) => {
    const review = source.output?.review;
    if (!review) return [];
    return findingGroups.flatMap(({ key, label }) => ((review[key] as Finding[] | undefined) ?? []).map((f) => ({ ...f, group: label })));
  });
}

export const severityRank: Record<string, number> = { critical: 4, high: 3, medium: 2, low: 1 };

export const severityTone: Record<string, string> = {
  critical: "bg-red-600 text-white",
  high: "bg-red-100 text-red-800",
  medium: "bg-amber-100 text-amber-800",
  low: "bg-slate-100 text-slate-700",
};

export const severityBorder: Record<string, string> = {
  critical: "border-red-600 bg-red-50",
  high: "border-red-400 bg-red-50",
  medium: "border-amber-400 bg-amber-50",
  low: "border-slate-300 bg-slate-50",
};
