/**
 * The decision report of one change (one pipeline run) as a PDF: the change record
 * (lib/audit/reports/change-record.ts) laid out for a person to read and file, with the audit events
 * behind each line and the chain checkpoint it was checked against on every page.
 */
import type { ChangeRecord, DeploymentEntry, StageSection } from "./change-record";
import { ReportPdf, shortHash, utcText } from "./report-pdf";

const events = (sequences: string[]) => (sequences.length > 0 ? `Audit events ${sequences.map((s) => `#${s}`).join(", ")}` : "Audit events: none recorded");

/** The footer's chain line, the same for both reports. */
export function checkpointLine(chain: { ok: boolean; verifiedThrough: string | null; verifiedThroughHash: string | null; broken: { sequence: string; description: string } | null }): string {
  if (!chain.ok && chain.broken) return `CHAIN BROKEN at sequence ${chain.broken.sequence}: ${chain.broken.description}`;
  if (!chain.verifiedThrough) return "Chain checkpoint: the audit log is empty";
  return `Chain verified through sequence ${chain.verifiedThrough}, head hash ${chain.verifiedThroughHash ?? "(unknown)"}`;
}

function stage(pdf: ReportPdf, title: string, section: StageSection) {
  pdf.heading(title);
  pdf.paragraph(section.note);
  pdf.table(
    [
      { header: "Attempt", width: 0.08 },
      { header: "Status", width: 0.14 },
      { header: "Summary", width: 0.4 },
      { header: "Started / finished", width: 0.22 },
      { header: "Events", width: 0.16 },
    ],
    section.attempts.map((a) => [
      String(a.attempt),
      a.status.replaceAll("_", " "),
      a.error ? `${a.summary ?? ""} (error: ${a.error})` : (a.summary ?? ""),
      `${utcText(a.startedAt)}\n${utcText(a.finishedAt)}`,
      a.events.map((s) => `#${s}`).join(", "),
    ]),
    { empty: "No attempt recorded." },
  );
}

function deployments(pdf: ReportPdf, list: DeploymentEntry[]) {
  if (list.length === 0) return;
  pdf.table(
    [
      { header: "Deployment", width: 0.2 },
      { header: "Strategy / target", width: 0.2 },
      { header: "Status / traffic", width: 0.16 },
      { header: "Started / finished", width: 0.22 },
      { header: "Metrics", width: 0.22 },
    ],
    list.map((d) => [
      `${d.environment}\n${d.id}`,
      `${d.strategy}\n${d.target}`,
      `${d.status.replaceAll("_", " ")}\n${d.trafficPercent}%`,
      `${utcText(d.startedAt)}\n${utcText(d.finishedAt)}`,
      d.metrics.map((m) => `${m.cohort}: ${m.requests} req, err ${m.avgErrorRate ?? "–"}, p99 ${m.maxP99Ms ?? "–"} ms`).join("\n"),
    ]),
  );
}

export async function renderDecisionReport(record: ChangeRecord, options: { generatedAt?: string; compress?: boolean } = {}): Promise<Buffer> {
  const { request, run } = record;
  const generatedAt = options.generatedAt ?? new Date().toISOString();
  const pdf = new ReportPdf({
    title: `Flowgate decision report: ${request.repository} #${request.pullRequest.number}, run ${run.id}`,
    generatedAt,
    checkpoint: checkpointLine(record.chain),
    compress: options.compress,
  });

  pdf.title(`Decision report: ${request.repository} #${request.pullRequest.number}`, request.pullRequest.title);
  pdf.facts([
    ["Run", run.id],
    ["Status", run.status.replaceAll("_", " ")],
    ["Risk score", run.riskScore === null ? "–" : String(run.riskScore)],
    ["Created", utcText(run.createdAt)],
    ["Finished", utcText(run.finishedAt)],
  ]);

  pdf.heading("1. Change request");
  pdf.facts([
    ["Repository", request.repository],
    ["Pull request", `#${request.pullRequest.number}: ${request.pullRequest.title}`],
    ["Author", request.pullRequest.author],
    ["Branches", `${request.pullRequest.headRef} into ${request.pullRequest.baseRef}`],
    ["Commits", `${request.baseSha}..${request.headSha}`],
    ["Diff size", `${request.diffBytes} bytes`],
    ["Policy", `version ${request.policyVersion}`],
    ["Submitted by", request.submittedBy ?? "not recorded in the audit log"],
    ["Submitted at", utcText(request.submittedAt)],
    ["Evidence", events(request.events)],
  ]);
  if (request.pullRequest.description) pdf.paragraph(request.pullRequest.description, { muted: true });

  pdf.heading("2. Review decision");
  pdf.paragraph(record.review.note);
  for (const decision of record.review.decisions) {
    pdf.subheading(`Decision: ${decision.outcome}`);
    const f = decision.findings;
    pdf.facts([
      ["Agent", `${decision.agent} ${decision.agentVersion}`],
      ["Provider and model", decision.model ? `${decision.provider} · ${decision.model}` : `${decision.provider} (no model: rule-based heuristic)`],
      ["Risk score", decision.riskScore === null ? "–" : String(decision.riskScore)],
      ["Findings", f.total === 0 ? "none" : `${f.total} (${f.security} security, ${f.apiBreaking} API-breaking, ${f.performance} performance, ${f.coverage} coverage)`],
      ["Decided at", utcText(decision.decidedAt)],
      ["Input hash", decision.inputHash],
      ["Rationale", decision.rationale],
      ["Evidence", events(decision.events)],
    ]);
  }

  pdf.heading("3. Escalations and human approvals");
  if (record.escalations.length === 0) pdf.paragraph("None: no stage asked for a person, so no human approval was required.");
  for (const escalation of record.escalations) {
    pdf.subheading(`Escalation at ${escalation.stage}: ${escalation.status.replaceAll("_", " ")}`);
    pdf.facts([
      ["Reasons", escalation.reasons.join("; ")],
      ["Raised", utcText(escalation.createdAt)],
      ["Due (SLA)", `${utcText(escalation.dueAt)}${escalation.slaBreachedAt ? ` (breached ${utcText(escalation.slaBreachedAt)})` : ""}`],
      ["Decided", utcText(escalation.decidedAt)],
      ["Context package", escalation.contextHash],
      ["Evidence", events(escalation.events)],
    ]);
    pdf.table(
      [
        { header: "Decider", width: 0.24 },
        { header: "Decision / when", width: 0.2 },
        { header: "Rationale", width: 0.32 },
        { header: "Approver is not the author", width: 0.24 },
      ],
      escalation.decisions.map((d) => [
        `${d.decider.email}\n(${d.decider.role})`,
        `${d.decision.replaceAll("_", " ")}\n${utcText(d.decidedAt)}`,
        `${d.rationale}\n${d.sawStoredPackage ? "Saw the stored context package." : "Saw a DIFFERENT package than the one stored."}\n${events(d.events)}`,
        `${d.separation.distinct ? "yes" : "NO"}: ${d.separation.approverEmail} vs author ${d.separation.authorEmail}`,
      ]),
      { empty: "No decision yet." },
    );
  }

  stage(pdf, "4. Tests", record.test);
  stage(pdf, "5. Staging", record.staging);
  deployments(pdf, record.staging.deployments);
  stage(pdf, "6. Validation", record.validation);
  stage(pdf, "7. Deployment", record.deployment);
  deployments(pdf, record.deployment.deployments);

  pdf.heading("8. Rollback and incident report");
  pdf.paragraph(record.rollback.note);
  for (const d of record.rollback.deployments) {
    pdf.facts([
      ["Deployment", `${d.environment} ${d.id}`],
      ["Reason", d.rollbackReason ?? "–"],
      ["Incident report", d.incidentReport ? JSON.stringify(d.incidentReport, null, 1) : "–"],
      ["Evidence", events(d.events)],
    ]);
  }

  pdf.heading("9. Audit events behind this record");
  pdf.table(
    [
      { header: "#", width: 0.08 },
      { header: "Time", width: 0.2 },
      { header: "Actor", width: 0.24 },
      { header: "Action", width: 0.22 },
      { header: "Hash", width: 0.26, mono: true },
    ],
    record.auditEvents.map((e) => [e.sequence, utcText(e.occurredAt), e.actorLabel, e.action, shortHash(e.hash)]),
  );

  pdf.heading("10. Integrity");
  const { chain, eventIntegrity } = record;
  pdf.facts([
    [
      "Events of this record",
      eventIntegrity.ok
        ? `Each of the ${eventIntegrity.checked} events matches its hash and links to the event before it.`
        : eventIntegrity.problems.map((p) => `Event #${p.sequence}: ${p.description}.`).join(" "),
    ],
    [
      "Whole chain",
      chain.ok
        ? `Verified through sequence ${chain.verifiedThrough ?? "–"} (head hash ${chain.verifiedThroughHash ?? "–"}) at ${utcText(chain.checkedAt)}; ${
            chain.startedFrom ? `incrementally from the ${chain.startedFrom.mode} checkpoint at sequence ${chain.startedFrom.sequence}` : "from the first event"
          }.`
        : `Broken at sequence ${chain.broken?.sequence}: ${chain.broken?.description}.`,
    ],
  ]);
  return pdf.finish();
}
