import { reasonName } from "@/components/inbox/reasons";
import { decisionNames, findingGroups, requiredApprovals, type DecisionKind, type EscalationDetail, type Finding } from "./types";

const where = (f: Finding) => `\`${f.file}${f.line ? `:${f.line}` : ""}\``;
const bullets = (lines: string[]) => lines.map((line) => `- ${line}`);
/** Keeps list items on one line, whatever the agents wrote. */
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ");
const cell = (text: string) => text.replaceAll("|", "\\|");

function reasonsPart(escalation: EscalationDetail): string[] {
  return [
    "## Why it is here",
    "",
    ...bullets(
      escalation.contextPackage.reasons.map((r) => {
        const numbers = [r.value !== undefined ? `value ${r.value}` : "", r.threshold !== undefined ? `threshold ${r.threshold}` : ""].filter(Boolean).join(", ");
        const name = reasonName(r.code);
        const label = r.label.toLowerCase() === name.toLowerCase() ? "" : ` (${r.label})`;
        return `**${name}**${label}: ${oneLine(r.detail)}${numbers ? ` (${numbers})` : ""}`;
      }),
    ),
  ];
}

function changePart(escalation: EscalationDetail): string[] {
  const change = escalation.contextPackage.change;
  return [
    "## What changed",
    "",
    `${change.files.length} file(s), +${change.additions} −${change.deletions}, head \`${change.headSha}\``,
    "",
    "| File | Status | + | − |",
    "| --- | --- | ---: | ---: |",
    ...change.files.map((f) => `| \`${cell(f.path)}\` | ${f.status}${f.binary ? " (binary)" : ""} | ${f.additions} | ${f.deletions} |`),
  ];
}

function findingsPart(escalation: EscalationDetail): string[] {
  const lines = ["## What the agents found", ""];
  if (escalation.contextPackage.findings.length === 0) return [...lines, "No agent produced findings."];
  for (const source of escalation.contextPackage.findings) {
    const review = source.output?.review;
    lines.push(`### ${source.agent} agent (${source.stage}): provider ${source.provider}, model ${source.model ?? "none"}`, "");
    lines.push(`Risk score: **${review?.risk_score ?? source.riskScore ?? "–"}**`, "", oneLine(review?.review_rationale ?? source.rationale), "");
    if (!review) continue;
    for (const { key, label } of findingGroups) {
      const findings = (review[key] as Finding[] | undefined) ?? [];
      lines.push(`**${label}** (${findings.length})`, "");
      if (findings.length === 0) lines.push("- none");
      else lines.push(...bullets(findings.map((f) => `${where(f)} **${f.severity}**: ${oneLine(f.message)}`)));
      lines.push("");
    }
  }
  return lines;
}

function notCheckedPart(escalation: EscalationDetail): string[] {
  const items = escalation.contextPackage.notChecked ?? [];
  return ["## What was not checked", "", ...(items.length === 0 ? ["Everything in scope was checked."] : bullets(items.map(oneLine)))];
}

function historyPart(escalation: EscalationDetail): string[] {
  const history = escalation.contextPackage.history;
  if (!history) return ["## History", "", "No history recorded for this escalation."];
  const run = (r: { runId: string; pullRequest?: { number: number; title: string }; status: string }) =>
    `${r.pullRequest ? `#${r.pullRequest.number} ${r.pullRequest.title}` : r.runId} (${r.status.replaceAll("_", " ")})`;
  const recent = history.authorRecentRuns ?? [];
  const same = history.sameFiles ?? [];
  return [
    "## History",
    "",
    "**Author's recent runs**",
    "",
    ...(recent.length === 0 ? ["- none"] : bullets(recent.map(run))),
    "",
    "**Earlier runs on the same files**",
    "",
    ...(same.length === 0
      ? ["- none"]
      : bullets(
          same.map(
            (r) =>
              `${run(r)}${r.files?.length ? ` touching ${r.files.map((f) => `\`${f}\``).join(", ")}` : ""}${r.rolledBack ? ", **rolled back**" : ""}${
                r.incidentSummary ? `: ${oneLine(r.incidentSummary)}` : ""
              }`,
          ),
        )),
  ];
}

function suggestionPart(escalation: EscalationDetail): string[] {
  const suggestion = escalation.contextPackage.suggestion;
  if (!suggestion) return [];
  return [
    "## Agent's suggestion (not a decision)",
    "",
    `${decisionNames[suggestion.decision as DecisionKind] ?? suggestion.decision}, confidence ${Math.round(suggestion.confidence * 100)}%`,
    "",
    ...bullets(suggestion.reasons.map(oneLine)),
  ];
}

function decisionsPart(escalation: EscalationDetail): string[] {
  if (escalation.decisions.length === 0) return [];
  return [
    "## Decisions",
    "",
    ...bullets(
      escalation.decisions.map((d) => `${decisionNames[d.decision] ?? d.decision} by ${d.user.name} <${d.user.email}> at ${d.createdAt}: ${oneLine(d.rationale)}`),
    ),
  ];
}

/**
 * The whole context package as readable Markdown, for a ticket or a chat thread. Pure, so it
 * renders the same package the page shows, including the hash that identifies it.
 */
export function contextPackageToMarkdown(escalation: EscalationDetail): string {
  const pr = escalation.contextPackage.change.pullRequest;
  const required = requiredApprovals(escalation);
  const approvals = escalation.decisions.filter((d) => d.decision === "approve").length;
  const parts = [
    [
      `# Escalation: ${escalation.contextPackage.change.repository} #${pr.number} ${pr.title}`,
      "",
      `- Author: ${pr.author}`,
      `- Stage: ${escalation.stage}; status: ${escalation.status.replaceAll("_", " ")}`,
      `- Risk: ${escalation.run.riskScore ?? "–"}`,
      `- SLA due: ${escalation.dueAt}`,
      `- Assignee: ${escalation.assignee ? `${escalation.assignee.name} <${escalation.assignee.email}>` : "unassigned"}`,
      `- Approvals: ${approvals} of ${required}`,
      `- Run: ${escalation.runId} (policy v${escalation.run.policy.version})`,
      `- Package hash: \`${escalation.contextHash}\``,
    ],
    reasonsPart(escalation),
    changePart(escalation),
    findingsPart(escalation),
    notCheckedPart(escalation),
    historyPart(escalation),
    suggestionPart(escalation),
    decisionsPart(escalation),
  ];
  return (
    parts
      .filter((p) => p.length > 0)
      .map((p) => p.join("\n").trimEnd())
      .join("\n\n") + "\n"
  );
}
