import type { DeploymentEntry, MetricSummary, StageAttempt, StageSection } from "@/lib/audit/reports/change-record";
import { statusTone } from "@/components/ui/format";
import { EventRefs, EvidenceItem, EvidenceSection, Fact, Facts, Mono, utc } from "./evidence";

function StatusBadge({ status }: { status: string }) {
  return <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${statusTone[status] ?? statusTone.queued}`}>{status.replace("_", " ")}</span>;
}

function Attempt({ attempt, showOutput }: { attempt: StageAttempt; showOutput: boolean }) {
  return (
    <EvidenceItem
      title={
        <span className="flex flex-wrap items-center gap-2">
          Attempt {attempt.attempt} <StatusBadge status={attempt.status} />
        </span>
      }
    >
      <Facts>
        {attempt.summary && <Fact term="Summary">{attempt.summary}</Fact>}
        <Fact term="Queued">{utc(attempt.queuedAt)}</Fact>
        <Fact term="Started">{utc(attempt.startedAt)}</Fact>
        <Fact term="Finished">{utc(attempt.finishedAt)}</Fact>
        {attempt.error && <Fact term="Error">{attempt.error}</Fact>}
        {showOutput && attempt.output != null && (
          <Fact term="Numbers">
            <pre className="overflow-auto whitespace-pre-wrap font-mono text-xs">{JSON.stringify(attempt.output, null, 2)}</pre>
          </Fact>
        )}
      </Facts>
      <EventRefs events={attempt.events} missing="no audit event" />
    </EvidenceItem>
  );
}

/** The plain sentence for a stage, then its attempts when it ran. */
export function StageEvidence({ section, showOutput = true }: { section: StageSection; showOutput?: boolean }) {
  return (
    <>
      <p data-testid={`stage-note-${section.stage}`} className={`text-sm ${section.ran ? "text-slate-800" : "font-medium text-slate-600"}`}>
        {section.note}
      </p>
      {section.ran && section.attempts.map((attempt) => <Attempt key={attempt.attempt} attempt={attempt} showOutput={showOutput} />)}
    </>
  );
}

function Metrics({ metrics }: { metrics: MetricSummary[] }) {
  if (metrics.length === 0) return <>no metric samples</>;
  return (
    <ul>
      {metrics.map((m) => (
        <li key={m.cohort}>
          {m.cohort}: {m.samples} samples, {m.requests.toLocaleString()} requests, error rate {m.avgErrorRate === null ? "–" : `${(m.avgErrorRate * 100).toFixed(2)}%`} avg,
          p99 {m.maxP99Ms === null ? "–" : `${Math.round(m.maxP99Ms)} ms`} max
        </li>
      ))}
    </ul>
  );
}

export function DeploymentEvidence({ deployment }: { deployment: DeploymentEntry }) {
  return (
    <EvidenceItem
      title={
        <span className="flex flex-wrap items-center gap-2">
          {deployment.environment} deployment to {deployment.target} <StatusBadge status={deployment.status} />
        </span>
      }
    >
      <Facts>
        <Fact term="Strategy">
          {deployment.strategy}, {deployment.trafficPercent}% of traffic
        </Fact>
        <Fact term="Started">{utc(deployment.startedAt)}</Fact>
        <Fact term="Finished">{utc(deployment.finishedAt)}</Fact>
        <Fact term="Metrics">
          <Metrics metrics={deployment.metrics} />
        </Fact>
        {deployment.rollbackReason && <Fact term="Rollback reason">{deployment.rollbackReason}</Fact>}
        {deployment.incidentReport != null && (
          <Fact term="Incident report">
            <pre className="overflow-auto whitespace-pre-wrap font-mono text-xs">{JSON.stringify(deployment.incidentReport, null, 2)}</pre>
          </Fact>
        )}
        <Fact term="Deployment id">
          <Mono>{deployment.id}</Mono>
        </Fact>
      </Facts>
      <EventRefs events={deployment.events} />
    </EvidenceItem>
  );
}

export function StageWithDeployments({ id, title, section }: { id: string; title: string; section: StageSection & { deployments: DeploymentEntry[] } }) {
  return (
    <EvidenceSection id={id} title={title}>
      <StageEvidence section={section} />
      {section.deployments.map((d) => (
        <DeploymentEvidence key={d.id} deployment={d} />
      ))}
    </EvidenceSection>
  );
}
