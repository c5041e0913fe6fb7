import { requiredApprovalsFor } from "@/lib/policy/approval-rules";
import type { StoredHistoryRun, StoredSameFilesRun } from "@/lib/escalations/context-package";
import type { EscalationDetail } from "@/lib/escalations/load-escalation";
import type { Json } from "@/lib/json";
import type { Finding, ReviewFindingGroup } from "@/lib/review/review-output";

/**
 * The escalation page's names for the server's types (lib/escalations/load-escalation.ts,
 * lib/escalations/context-package.ts, lib/review/review-output.ts), as the browser receives them.
 * The context package is stored JSON, so its newer fields are optional there: read them defensively.
 */
export type { EscalationDetail, Finding };
export type ContextPackageView = EscalationDetail["contextPackage"];
export type PackageFinding = ContextPackageView["findings"][number];
export type HistoryRun = Json<StoredHistoryRun>;
export type SameFilesRun = Json<StoredSameFilesRun>;
export type RecordedDecision = EscalationDetail["decisions"][number];

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
export const findingGroups: { key: ReviewFindingGroup; label: string }[] = [
  { key: "security_issues", label: "Security issues" },
  { key: "api_breaking_changes", label: "API breaks" },
  { key: "performance_concerns", label: "Performance concerns" },
  { key: "coverage_gaps", label: "Coverage gaps" },
];

export function reviewFindings(pkg: ContextPackageView): (Finding & { group: string })[] {
  return (pkg.findings ?? []).flatMap((source) => {
    const review = source.output?.review;
    if (!review) return [];
    return findingGroups.flatMap(({ key, label }) => (review[key] ?? []).map((f) => ({ ...f, group: label })));
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
