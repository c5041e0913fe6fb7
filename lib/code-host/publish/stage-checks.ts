import type { StageNote } from "../../pipeline/stage-note";
import { stageLabels, type Stage } from "../../pipeline/stages";
import type { Transition } from "../../pipeline/transitions";
import type { CheckAnnotation, CheckConclusion, CheckPublication } from "../code-host";
import { escapeMarkdown } from "./markdown";

/** The check a branch ruleset should require: it is green only when the pipeline passed. */
export const GATE_CHECK = "flowgate/gate";
export const stageCheckName = (stage: Stage) => `flowgate/${stage}`;

/** Findings' severities as the host's annotation levels: only what blocks shows as a failure. */
const annotationLevel: Record<StageNote["severity"], CheckAnnotation["level"]> = {
  critical: "failure",
  high: "failure",
  medium: "warning",
  low: "notice",
};

export interface StageCheckInput {
  stage: Stage;
  headSha: string;
  transition: Transition;
  /** The outcome's one-line summary ("Escalated: risk 8 ≥ 7"). */
  summary: string;
  notes: StageNote[];
  notChecked: string[];
  runUrl: string;
  /** The inbox item, when the transition opened an escalation. */
  escalationUrl?: string;
}

/**
 * What a stage's recorded outcome looks like on the pull request: the stage's own check, the next
 * stage's check as queued when the run moves on, and the gate. Pure: the engine's transition and
 * the stage's assessment in, publications out; no stage is named here beyond its label.
 */
export function stageCheckPublications(input: StageCheckInput): CheckPublication[] {
  const { stage, transition, headSha } = input;
  const label = stageLabels[stage];
  const annotations = input.notes.map(
    (note): CheckAnnotation => ({ path: note.file, startLine: note.line, endLine: note.endLine ?? note.line, level: annotationLevel[note.severity], message: note.message }),
  );
  // Summaries and what was not checked can quote the pull request (file names): escaped.
  const details = [
    escapeMarkdown(input.summary),
    ...(input.notChecked.length > 0 ? ["", "**Not checked:**", ...input.notChecked.map((item) => `- ${escapeMarkdown(item)}`)] : []),
  ].join("\n");
  const stageCheck = (status: CheckPublication["status"], conclusion?: CheckConclusion): CheckPublication => ({
    name: stageCheckName(stage),
    headSha,
    status,
    ...(conclusion ? { conclusion } : {}),
    title: `${label}: ${input.summary}`.slice(0, 250),
    summary: details,
    detailsUrl: input.escalationUrl ?? input.runUrl,
    annotations,
  });
  const gate = (status: CheckPublication["status"], title: string, conclusion?: CheckConclusion): CheckPublication => ({
    name: GATE_CHECK,
    headSha,
    status,
    ...(conclusion ? { conclusion } : {}),
    title,
    summary: `${title}\n\n${details}`,
    detailsUrl: input.escalationUrl ?? input.runUrl,
    annotations: [],
  });

  switch (transition.type) {
    case "advance": {
      const next = stageLabels[transition.nextStage];
      return [
        stageCheck("completed", "success"),
        { name: stageCheckName(transition.nextStage), headSha, status: "queued", title: `${next}: queued`, summary: `${next} waits for a runner.`, detailsUrl: input.runUrl, annotations: [] },
        gate("in_progress", `${label} passed; ${next.toLowerCase()} is next`),
      ];
    }
    case "complete":
      return [stageCheck("completed", "success"), gate("completed", "Every stage passed", "success")];
    case "escalate":
      return [stageCheck("completed", "action_required"), gate("completed", `Waiting for a person: ${input.summary}`, "action_required")];
    case "fail":
      return [stageCheck("completed", "failure"), gate("completed", `${label} failed`, "failure")];
    case "rollback":
      return [stageCheck("completed", "failure"), gate("completed", `Rolled back at ${label.toLowerCase()}`, "failure")];
    case "cancel":
      return [stageCheck("completed", "cancelled"), gate("completed", `Cancelled at ${label.toLowerCase()}: ${input.summary}`.slice(0, 250), "cancelled")];
    case "retry":
      // An agent error is Flowgate's problem, not the change's: the check stays open while it retries.
      return [stageCheck("in_progress"), gate("in_progress", `${label} is retrying after an agent error`)];
  }
}

/**
 * A person's decision in Flowgate, as the pull request shows it: approve clears the stage's check
 * and the gate says who approved, when, and the hash of the audit event that records it; reject or
 * request changes fails both. It applies to the commit the escalation was raised on only.
 */
export function decisionCheckPublications(input: {
  stage: Stage;
  headSha: string;
  decision: "approve" | "reject" | "request_changes";
  decidedBy: string;
  at: Date;
  auditHash: string;
  rationale: string;
  escalationUrl: string;
}): CheckPublication[] {
  const label = stageLabels[input.stage];
  const who = `${input.decidedBy} at ${input.at.toISOString()} (audit event ${input.auditHash.slice(0, 12)})`;
  const verdict = input.decision === "approve" ? "Approved" : input.decision === "reject" ? "Rejected" : "Changes requested";
  const summary = `${verdict} by ${escapeMarkdown(who)}.\n\n> ${escapeMarkdown(input.rationale).replace(/\n/g, "\n> ")}`;
  const check = (name: string, title: string, status: CheckPublication["status"], conclusion?: CheckConclusion): CheckPublication => ({
    name,
    headSha: input.headSha,
    status,
    ...(conclusion ? { conclusion } : {}),
    title: title.slice(0, 250),
    summary,
    detailsUrl: input.escalationUrl,
    annotations: [],
  });
  if (input.decision === "approve") {
    return [check(stageCheckName(input.stage), `${label}: approved by ${input.decidedBy}`, "completed", "success"), check(GATE_CHECK, `Approved by ${input.decidedBy}; the pipeline continues`, "in_progress")];
  }
  return [
    check(stageCheckName(input.stage), `${label}: ${verdict.toLowerCase()} by ${input.decidedBy}`, "completed", "failure"),
    check(GATE_CHECK, `${verdict} by ${input.decidedBy}`, "completed", "failure"),
  ];
}

/** A run ended with no verdict on its commit (superseded, or the pull request closed). */
export function endedRunCheckPublications(input: { stage: Stage; headSha: string; reason: string; runUrl: string }): CheckPublication[] {
  const title = `Cancelled: ${input.reason}`.slice(0, 250);
  const check = (name: string): CheckPublication => ({
    name,
    headSha: input.headSha,
    status: "completed",
    conclusion: "cancelled",
    title,
    summary: `${escapeMarkdown(title)}. This commit's checks no longer describe the pull request.`,
    detailsUrl: input.runUrl,
    annotations: [],
  });
  return [check(stageCheckName(input.stage)), check(GATE_CHECK)];
}
