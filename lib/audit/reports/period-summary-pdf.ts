import { checkpointLine } from "./decision-report-pdf";
import type { PeriodSummary } from "./period-summary";
import { ReportPdf, utcText } from "./report-pdf";

/** The period summary (lib/audit/reports/period-summary.ts) as a PDF for a person to read and file. */
export async function renderPeriodSummary(summary: PeriodSummary, options: { generatedAt?: string; compress?: boolean } = {}): Promise<Buffer> {
  const period = `${utcText(summary.from)} to ${utcText(summary.to)}`;
  const pdf = new ReportPdf({
    title: `Flowgate change summary: ${period}`,
    generatedAt: options.generatedAt ?? new Date().toISOString(),
    checkpoint: checkpointLine(summary.chain),
    compress: options.compress,
  });
  const { counts, chain } = summary;
  pdf.title("Change summary", `${period} (from inclusive, to exclusive)`);
  pdf.facts([
    ["Changes", `${counts.changes} pipeline runs submitted in the period`],
    ["Approved by the agent", String(counts.approvedByAgent)],
    ["Approved by people", String(counts.approvedByPeople)],
    ["Not approved", `${counts.notApproved} (rejected, changes requested, waiting, failed or running)`],
    ["Exceptions", `${counts.escalations} escalations, ${counts.overrides} overrides of the agent's suggestion`],
    ["Rollbacks", String(counts.rollbacks)],
  ]);

  pdf.heading("1. Changes and how each was approved");
  pdf.table(
    [
      { header: "Change", width: 0.26 },
      { header: "Submitted", width: 0.16 },
      { header: "Status / risk", width: 0.14 },
      { header: "Approval", width: 0.44 },
    ],
    summary.changes.map((c) => [
      `${c.repository} #${c.prNumber}: ${c.title}\nauthor ${c.author}\nrun ${c.runId}`,
      utcText(c.createdAt),
      `${c.status.replaceAll("_", " ")}\nrisk ${c.riskScore ?? "–"}`,
      `${c.approval.by === "agent" ? "Agent" : c.approval.by === "people" ? "People" : "None"}: ${c.approval.summary}`,
    ]),
    { empty: "No change was submitted in this period." },
  );

  pdf.heading("2. Exceptions: escalations and overrides");
  pdf.table(
    [
      { header: "Change", width: 0.2 },
      { header: "Kind", width: 0.12 },
      { header: "When", width: 0.18 },
      { header: "Detail", width: 0.5 },
    ],
    summary.exceptions.map((e) => [e.change, e.kind, utcText(e.at), e.detail]),
    { empty: "None: every change went through without a person." },
  );

  pdf.heading("3. Rollbacks");
  pdf.table(
    [
      { header: "Change", width: 0.2 },
      { header: "When", width: 0.2 },
      { header: "Detail", width: 0.6 },
    ],
    summary.rollbacks.map((r) => [r.change, utcText(r.at), r.detail]),
    { empty: "None." },
  );

  pdf.heading("4. Chain verification");
  pdf.facts([
    ["Result", chain.ok ? "verified" : `BROKEN at sequence ${chain.broken?.sequence}`],
    ["Verified through", chain.verifiedThrough ? `sequence ${chain.verifiedThrough}` : "–"],
    ["Head hash", chain.verifiedThroughHash ?? "–"],
    ["Checked at", utcText(chain.checkedAt)],
    ["How", chain.startedFrom ? `incrementally from the ${chain.startedFrom.mode} checkpoint at sequence ${chain.startedFrom.sequence} (${chain.eventsChecked} newer events re-hashed)` : `${chain.eventsChecked} events re-hashed from the first`],
    [
      "Last full verification",
      chain.lastFull ? `${chain.lastFull.status} (${utcText(chain.lastFull.finishedAt ?? chain.lastFull.startedAt)}, asked by ${chain.lastFull.requestedBy})` : "none yet",
    ],
    ...(chain.broken ? ([["Break", `${chain.broken.description} (found by the ${chain.broken.foundBy} verification)`]] as [string, string][]) : []),
  ]);
  return pdf.finish();
}
