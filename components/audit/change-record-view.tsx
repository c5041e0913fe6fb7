import Link from "next/link";
import type { ChangeRecord, ReviewDecision } from "@/lib/audit/reports/change-record";
import { riskTone, statusTone } from "@/components/ui/format";
import { EscalationEvidence } from "./change-record-approvals";
import { DeploymentEvidence, StageEvidence, StageWithDeployments } from "./change-record-stages";
import { EventRefs, EvidenceItem, EvidenceSection, Fact, Facts, Mono, Prose, utc } from "./evidence";

function ChainBox({ record }: { record: ChangeRecord }) {
  const { chain, eventIntegrity } = record;
  const ok = chain.ok && eventIntegrity.ok;
  return (
    <div data-testid="change-chain-status" data-state={ok ? "verified" : "broken"} className={`rounded-md border px-4 py-3 text-sm ${ok ? "border-emerald-200 bg-emerald-50 text-emerald-900" : "border-red-300 bg-red-50 text-red-900"}`}>
      <p>
        {chain.ok
          ? `Chain verified through event #${chain.verifiedThrough ?? "–"} (${utc(chain.verifiedAt)}) when this page was built at ${utc(chain.checkedAt)}: ${
              chain.startedFrom
                ? `from the ${chain.startedFrom.mode} checkpoint at event #${chain.startedFrom.sequence} (${utc(chain.startedFrom.verifiedAt)}), ${chain.eventsChecked.toLocaleString()} newer events re-hashed.`
                : `${chain.eventsChecked.toLocaleString()} events re-hashed from the first.`
            }`
          : `Chain broken at event #${chain.broken?.sequence}: ${chain.broken?.description}${chain.broken?.foundBy === "full" ? " (found by the last full verification)" : ""}. Intact through event #${chain.verifiedThrough ?? "–"}.`}
      </p>
      <p>
        {eventIntegrity.ok
          ? `Each of the ${eventIntegrity.checked} events behind this record matches its hash and links to the event before it.`
          : eventIntegrity.problems.map((p) => `Event #${p.sequence}: ${p.description}.`).join(" ")}
      </p>
    </div>
  );
}

function Header({ record }: { record: ChangeRecord }) {
  const { request, run } = record;
  return (
    <div>
      <Link href={`/audit?runId=${run.id}`} className="text-sm text-indigo-700 hover:underline">
        ← All audit events of this run
      </Link>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight">
        Change record: {request.repository} #{request.pullRequest.number}, {request.pullRequest.title}
      </h1>
      <div className="mt-2 flex flex-wrap items-center gap-2 text-sm text-slate-600">
        <span data-testid="run-status" className={`rounded px-2 py-0.5 text-xs font-medium ${statusTone[run.status] ?? ""}`}>
          {run.status.replace("_", " ")}
        </span>
        <span className={`rounded px-2 py-0.5 text-xs font-medium ${riskTone(run.riskScore)}`}>risk {run.riskScore ?? "–"}</span>
        <span>
          run <Mono>{run.id}</Mono>
        </span>
        <Link href={`/runs/${run.id}`} className="text-indigo-700 hover:underline">
          run page
        </Link>
      </div>
      <div className="mt-2 flex flex-wrap items-center gap-2 text-sm" data-testid="change-record-exports">
        <span className="text-slate-600">Download:</span>
        <a href={`/api/v1/audit/export?format=pdf&runId=${encodeURIComponent(run.id)}`} download className="rounded-md border border-slate-300 bg-white px-2.5 py-1 font-medium text-slate-700 hover:bg-slate-50">
          PDF decision report
        </a>
        <a href={`/api/v1/audit/export?format=jsonl&runId=${encodeURIComponent(run.id)}`} download className="rounded-md border border-slate-300 bg-white px-2.5 py-1 font-medium text-slate-700 hover:bg-slate-50">
          Events (JSON Lines)
        </a>
        <a href={`/api/v1/audit/export/manifest?format=jsonl&runId=${encodeURIComponent(run.id)}`} download className="text-indigo-700 hover:underline">
          its manifest
        </a>
      </div>
    </div>
  );
}

function RequestSection({ record }: { record: ChangeRecord }) {
  const { request } = record;
  return (
    <EvidenceSection id="request" title="Request">
      <Facts>
        <Fact term="Repository">{request.repository}</Fact>
        <Fact term="Pull request">
          #{request.pullRequest.number}: {request.pullRequest.title}
        </Fact>
        <Fact term="Author">{request.pullRequest.author}</Fact>
        <Fact term="Branches">
          {request.pullRequest.headRef} into {request.pullRequest.baseRef}
        </Fact>
        <Fact term="Commits">
          <Mono>
            {request.baseSha}..{request.headSha}
          </Mono>
        </Fact>
        <Fact term="Diff size">{request.diffBytes.toLocaleString()} bytes</Fact>
        <Fact term="Policy">version {request.policyVersion}</Fact>
        <Fact term="Submitted by">{request.submittedBy ?? "not recorded in the audit log"}</Fact>
        <Fact term="Submitted at">{utc(request.submittedAt)}</Fact>
        {request.supersedes.length > 0 && <Fact term="Supersedes runs">{request.supersedes.join(", ")}</Fact>}
        {record.run.supersededBy && <Fact term="Superseded by run">{record.run.supersededBy}</Fact>}
      </Facts>
      {request.pullRequest.description && <Prose>{request.pullRequest.description}</Prose>}
      <EventRefs events={request.events} />
    </EvidenceSection>
  );
}

function FindingCountsText({ decision }: { decision: ReviewDecision }) {
  const f = decision.findings;
  if (f.total === 0) return <>none</>;
  return (
    <>
      {f.total} ({f.security} security, {f.apiBreaking} API-breaking, {f.performance} performance, {f.coverage} coverage)
    </>
  );
}

function ReviewDecisionItem({ decision }: { decision: ReviewDecision }) {
  return (
    <EvidenceItem title={`Decision: ${decision.outcome}`}>
      <Facts>
        <Fact term="Agent">
          {decision.agent} {decision.agentVersion}
        </Fact>
        <Fact term="Provider and model">
          {decision.provider}
          {decision.model ? ` · ${decision.model}` : " (no model: rule-based heuristic)"}
        </Fact>
        <Fact term="Risk score">{decision.riskScore ?? "–"}</Fact>
        <Fact term="Findings">
          <FindingCountsText decision={decision} />
        </Fact>
        <Fact term="Decided at">{utc(decision.decidedAt)}</Fact>
        <Fact term="Input hash">
          <Mono>{decision.inputHash}</Mono>
        </Fact>
        <Fact term="Rationale">
          <span data-testid="review-rationale">
            <Prose>{decision.rationale}</Prose>
          </span>
        </Fact>
      </Facts>
      <EventRefs events={decision.events} />
    </EvidenceItem>
  );
}

function EventsTable({ record }: { record: ChangeRecord }) {
  return (
    <EvidenceSection id="events" title="Audit events behind this record">
      <div className="overflow-x-auto">
        <table className="min-w-full text-sm">
          <thead className="text-left text-xs uppercase text-slate-500">
            <tr>
              <th className="py-1 pr-3">#</th>
              <th className="py-1 pr-3">Time</th>
              <th className="py-1 pr-3">Actor</th>
              <th className="py-1 pr-3">Action</th>
              <th className="py-1">Hash</th>
            </tr>
          </thead>
          <tbody>
            {record.auditEvents.map((event) => (
              <tr key={event.sequence} id={`event-${event.sequence}`} className="border-t border-slate-100 target:bg-amber-50">
                <td className="py-1 pr-3 font-mono text-xs">
                  <Link href={`/audit?runId=${record.run.id}&before=${BigInt(event.sequence) + 1n}&open=${event.sequence}`} className="text-indigo-700 hover:underline">
                    #{event.sequence}
                  </Link>
                </td>
                <td className="py-1 pr-3 text-slate-600">{utc(event.occurredAt)}</td>
                <td className="py-1 pr-3">{event.actorLabel}</td>
                <td className="py-1 pr-3 font-mono text-xs">{event.action}</td>
                <td className="py-1 font-mono text-xs text-slate-500" title={event.hash}>
                  {event.hash.slice(0, 16)}…
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </EvidenceSection>
  );
}

/** The change record, laid out as evidence: one section per step, each citing its audit events. */
export function ChangeRecordView({ record }: { record: ChangeRecord }) {
  return (
    <div className="space-y-4" data-testid="change-record">
      <Header record={record} />
      <ChainBox record={record} />
      <RequestSection record={record} />
      <EvidenceSection id="review" title="Review decision">
        <StageEvidence section={record.review} showOutput={false} />
        {record.review.decisions.map((d) => (
          <ReviewDecisionItem key={d.id} decision={d} />
        ))}
      </EvidenceSection>
      <EvidenceSection id="approvals" title="Escalations and human approvals">
        {record.escalations.length === 0 ? (
          <p className="text-sm text-slate-600">None: no stage asked for a person, so no human approval was required.</p>
        ) : (
          record.escalations.map((e) => <EscalationEvidence key={e.id} escalation={e} />)
        )}
      </EvidenceSection>
      <EvidenceSection id="tests" title="Tests">
        <StageEvidence section={record.test} />
      </EvidenceSection>
      <StageWithDeployments id="staging" title="Staging" section={record.staging} />
      <EvidenceSection id="validation" title="Validation">
        <StageEvidence section={record.validation} />
      </EvidenceSection>
      <StageWithDeployments id="deployment" title="Deployment timeline" section={record.deployment} />
      <EvidenceSection id="rollback" title="Rollback and incident report">
        <p data-testid="rollback-note" className="text-sm text-slate-700">
          {record.rollback.note}
        </p>
        {record.rollback.deployments.map((d) => (
          <DeploymentEvidence key={d.id} deployment={d} />
        ))}
      </EvidenceSection>
      <EventsTable record={record} />
    </div>
  );
}
