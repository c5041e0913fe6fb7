import { describe, expect, it } from "vitest";
import { escapeMarkdown } from "@/lib/code-host/publish/markdown";
import { GATE_CHECK, stageCheckPublications, type StageCheckInput } from "@/lib/code-host/publish/stage-checks";
import { stickyCommentBody } from "@/lib/code-host/publish/sticky-comment";
import type { Transition } from "@/lib/pipeline/transitions";

const base = (transition: Transition): StageCheckInput => ({
  stage: "test",
  headSha: "c".repeat(40),
  transition,
  summary: "the summary",
  notes: [
    { file: "src/a.ts", line: 3, severity: "critical", message: "eval of input" },
    { file: "src/a.ts", line: 7, endLine: 9, severity: "low", message: "not covered" },
  ],
  notChecked: ["src/big.ts: not reviewed (too large)"],
  runUrl: "https://flowgate.example/runs/r1",
});
const summaryOf = (transition: Transition) =>
  stageCheckPublications(base(transition)).map((c) => [c.name, c.status, c.conclusion ?? null]);

describe("a stage outcome as checks on the pull request", () => {
  it("maps every transition: never a failure for Flowgate's own error, action_required for a person", () => {
    expect(summaryOf({ type: "advance", stageStatus: "passed", nextStage: "staging" })).toEqual([
      ["flowgate/test", "completed", "success"],
      ["flowgate/staging", "queued", null],
      [GATE_CHECK, "in_progress", null],
    ]);
    expect(summaryOf({ type: "complete", stageStatus: "passed" })).toEqual([["flowgate/test", "completed", "success"], [GATE_CHECK, "completed", "success"]]);
    expect(summaryOf({ type: "escalate", stageStatus: "escalated", reasons: [] })).toEqual([["flowgate/test", "completed", "action_required"], [GATE_CHECK, "completed", "action_required"]]);
    expect(summaryOf({ type: "escalate", stageStatus: "error", reasons: [] })).toEqual([["flowgate/test", "completed", "action_required"], [GATE_CHECK, "completed", "action_required"]]);
    expect(summaryOf({ type: "fail", stageStatus: "failed" })).toEqual([["flowgate/test", "completed", "failure"], [GATE_CHECK, "completed", "failure"]]);
    expect(summaryOf({ type: "rollback", stageStatus: "rolled_back" })).toEqual([["flowgate/test", "completed", "failure"], [GATE_CHECK, "completed", "failure"]]);
    expect(summaryOf({ type: "retry", stageStatus: "error", nextAttempt: 2, delayMs: 1000 })).toEqual([["flowgate/test", "in_progress", null], [GATE_CHECK, "in_progress", null]]);
  });

  it("annotates the stage's notes at the host's levels, says what was not checked, and links the escalation when there is one", () => {
    const [stage, gate] = stageCheckPublications({ ...base({ type: "escalate", stageStatus: "escalated", reasons: [] }), escalationUrl: "https://flowgate.example/escalations/e1" });
    expect(stage.annotations).toEqual([
      { path: "src/a.ts", startLine: 3, endLine: 3, level: "failure", message: "eval of input" },
      { path: "src/a.ts", startLine: 7, endLine: 9, level: "notice", message: "not covered" },
    ]);
    expect(stage.summary).toContain(escapeMarkdown("src/big.ts: not reviewed (too large)"));
    expect(stage.detailsUrl).toBe("https://flowgate.example/escalations/e1");
    expect(gate).toMatchObject({ detailsUrl: "https://flowgate.example/escalations/e1", annotations: [] });
  });
});

describe("pull-request text on the code host", () => {
  it("cannot add links, images, markup or mentions", () => {
    const hostile = "[click](https://evil.example) ![x](https://evil.example/x.png) <img src=x> @security-team **bold**";
    const escaped = escapeMarkdown(hostile);
    expect(escaped).not.toMatch(/(?<!\\)\[/);
    expect(escaped).not.toMatch(/(?<!\\)</);
    expect(escaped).not.toContain("@security-team");
    expect(escaped.replace(/\\(.)/g, "$1").replace(/\u200b/g, "")).toBe(hostile);
  });

  it("keeps one sticky comment marker and escapes the summary", () => {
    const body = stickyCommentBody({ stage: "test", state: "failed", summary: "1 failing: @org/admins [x](y)", notes: 2, runUrl: "https://flowgate.example/runs/r1" });
    expect(body.startsWith("<!-- flowgate:sticky -->")).toBe(true);
    expect(body).toContain("✅ Review → **Test: failed** → Staging");
    expect(body).not.toContain("@org/admins");
    expect(body).toContain("2 notes on the changed lines");
  });
});
