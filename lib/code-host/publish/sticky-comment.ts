import { stageLabels, stages, type Stage } from "../../pipeline/stages";
import type { Transition } from "../../pipeline/transitions";
import { escapeMarkdown } from "./markdown";

/** A transition in the comment's words. */
export function stickyStateOf(transition: Transition): string {
  switch (transition.type) {
    case "advance":
      return "passed";
    case "complete":
      return "passed; every stage is done";
    case "escalate":
      return "waiting for a person";
    case "fail":
      return "failed";
    case "rollback":
      return "rolled back";
    case "cancel":
      return "cancelled";
    case "retry":
      return "retrying after an agent error";
  }
}

/** The hidden marker that finds Flowgate's one comment on a pull request, to edit it in place. */
export const STICKY_MARKER = "<!-- flowgate:sticky -->";

/**
 * The sticky comment's text: where the run is, what the last stage concluded, and where a person
 * acts. Built from the same facts as the checks; the findings stay in the checks' annotations, and
 * the summary (which may quote the pull request) is escaped.
 */
export function stickyCommentBody(input: {
  stage: Stage;
  /** "passed", "waiting for a person", "failed", "rolled back", "retrying", "approved by …" */
  state: string;
  summary: string;
  notes: number;
  runUrl: string;
  escalationUrl?: string;
  /** A longer account (a rollback's incident report), escaped like the summary. */
  report?: { title: string; sections: { heading: string; text: string }[] };
}): string {
  const at = stages.indexOf(input.stage);
  const progress = stages
    .map((stage, index) => (index < at ? `✅ ${stageLabels[stage]}` : index === at ? `**${stageLabels[stage]}: ${input.state}**` : stageLabels[stage]))
    .join(" → ");
  return [
    STICKY_MARKER,
    "### Flowgate",
    progress,
    "",
    escapeMarkdown(input.summary),
    ...(input.report
      ? ["", `#### ${escapeMarkdown(input.report.title)}`, ...input.report.sections.flatMap((section) => ["", `**${escapeMarkdown(section.heading)}**`, escapeMarkdown(section.text)])]
      : []),
    ...(input.notes > 0 ? ["", `${input.notes} note${input.notes === 1 ? "" : "s"} on the changed lines: see the ${stageLabels[input.stage]} check's annotations.`] : []),
    "",
    input.escalationUrl ? `**A person decides this change:** [open it in the inbox](${input.escalationUrl}) · [the run](${input.runUrl})` : `[The run in Flowgate](${input.runUrl})`,
  ].join("\n");
}
