import { describe, expect, it } from "vitest";
import { isPullRequestAuthor, requiredApprovalsFor } from "@/lib/policy/approval-rules";
import { defaultPolicyRules } from "@/lib/policy/policy-rules";

describe("approval rules shared by the server and the decision page", () => {
  it("needs two approvals when a reason is on the policy's list, one otherwise", () => {
    expect(requiredApprovalsFor(["schema_change", "high_risk"])).toBe(2);
    expect(requiredApprovalsFor(["high_risk"])).toBe(1);
    expect(requiredApprovalsFor(["high_risk"], ["high_risk"])).toBe(2);
    // The default list is the policy schema's default.
    expect(requiredApprovalsFor(["schema_change"], defaultPolicyRules.escalation.twoApprovalReasons)).toBe(2);
  });

  it("recognises the author by e-mail in any case and with stray spaces", () => {
    expect(isPullRequestAuthor("Dev@Example.com", " dev@example.com ")).toBe(true);
    expect(isPullRequestAuthor("reviewer@example.com", "dev@example.com")).toBe(false);
  });
});
