/**
 * Who may decide an escalation and how many approvals it needs: pure rules used by the server
 * (lib/escalations/decide-escalation.ts) and by the page that shows the decision form, so the two cannot drift.
 * No imports: this module is part of the browser bundle.
 */

/** The policy's default list (policy-rules.ts): a schema change needs a second reviewer. */
export const DEFAULT_TWO_APPROVAL_REASONS: readonly string[] = ["schema_change"];

/** Two approvals when any of the escalation's reasons is on the policy's list, one otherwise. */
export function requiredApprovalsFor(reasons: readonly string[], twoApprovalReasons: readonly string[] = DEFAULT_TWO_APPROVAL_REASONS): number {
  return reasons.some((reason) => twoApprovalReasons.includes(reason)) ? 2 : 1;
}

/** Segregation of duties: the pull request's author (by e-mail, any case) may not decide it. */
export function isPullRequestAuthor(email: string, author: string): boolean {
  return email.toLowerCase() === author.trim().toLowerCase();
}
