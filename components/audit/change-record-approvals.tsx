import type { EscalationEntry, HumanApproval } from "@/lib/audit/reports/change-record";
import { EventRefs, EvidenceItem, Fact, Facts, Mono, Prose, utc } from "./evidence";

/** Segregation of duties, shown with both emails so a reader can check it rather than trust it. */
function Separation({ approval }: { approval: HumanApproval }) {
  const { approverEmail, authorEmail, distinct } = approval.separation;
  return (
    <span data-testid="approver-not-author" className={distinct ? "text-emerald-800" : "font-semibold text-red-800"}>
      {distinct ? "✓ " : "✗ "}
      decider <b>{approverEmail}</b> {distinct ? "≠" : "="} pull request author <b>{authorEmail}</b>
      {distinct ? "" : ": the author decided their own change"}
    </span>
  );
}

const decisionTitle: Record<string, string> = { approve: "Approved", reject: "Rejected", request_changes: "Changes requested" };

function Approval({ approval }: { approval: HumanApproval }) {
  return (
    <EvidenceItem title={`${decisionTitle[approval.decision] ?? approval.decision} by ${approval.decider.name}`}>
      <Facts>
        <Fact term="Decider">
          {approval.decider.name} &lt;{approval.decider.email}&gt;, role {approval.decider.role}
        </Fact>
        <Fact term="Decision">{approval.decision.replace("_", " ")}</Fact>
        <Fact term="When">{utc(approval.decidedAt)}</Fact>
        <Fact term="Why">
          <Prose>{approval.rationale}</Prose>
        </Fact>
        <Fact term="Package seen">
          <Mono>{approval.contextHash}</Mono>{" "}
          <span className={approval.sawStoredPackage ? "text-emerald-800" : "font-semibold text-red-800"}>
            {approval.sawStoredPackage ? "(matches the package the escalation stored)" : "(differs from the package the escalation stored)"}
          </span>
        </Fact>
        <Fact term="Approver ≠ author">
          <Separation approval={approval} />
        </Fact>
      </Facts>
      <EventRefs events={approval.events} />
    </EvidenceItem>
  );
}

export function EscalationEvidence({ escalation }: { escalation: EscalationEntry }) {
  return (
    <div className="space-y-3">
      <EvidenceItem title={`Escalated at ${escalation.stage}: ${escalation.status.replace("_", " ")}`}>
        <Facts>
          <Fact term="Reasons">{escalation.reasons.join("; ")}</Fact>
          <Fact term="Opened">{utc(escalation.createdAt)}</Fact>
          <Fact term="Due">{utc(escalation.dueAt)}</Fact>
          {escalation.slaBreachedAt && <Fact term="SLA breached">{utc(escalation.slaBreachedAt)}</Fact>}
          <Fact term="Decided">{escalation.decidedAt ? utc(escalation.decidedAt) : "not yet"}</Fact>
          <Fact term="Context package hash">
            <Mono>{escalation.contextHash}</Mono>
          </Fact>
        </Facts>
        <EventRefs events={escalation.events} />
      </EvidenceItem>
      {escalation.decisions.length === 0 ? (
        <p className="text-sm text-slate-600">No person has decided this escalation yet.</p>
      ) : (
        escalation.decisions.map((approval) => <Approval key={`${approval.decider.email}-${approval.decidedAt}`} approval={approval} />)
      )}
    </div>
  );
}
