import { riskTone } from "@/components/ui/format";
import { SeverityBadge } from "./finding-note";
import { Section, card } from "./section";
import { ruleIdOf } from "@/lib/review/review-output";
import { findingGroups, type ContextPackageView, type Finding, type PackageFinding } from "./types";

/** A finding, and for the deterministic ones the engine and rule that produced it. */
type ListedFinding = Finding & { rule?: string; engine?: string };

function FindingList({ title, findings, testId }: { title: string; findings: ListedFinding[]; testId?: string }) {
  return (
    <div data-testid={testId}>
      <h4 className="text-sm font-medium text-slate-900">
        {title} <span className="font-normal text-slate-500">({findings.length})</span>
      </h4>
      {findings.length === 0 ? (
        <p className="text-sm text-slate-500">None.</p>
      ) : (
        <ul className="mt-1 space-y-1">
          {findings.map((f, i) => (
            <li key={i} className="text-sm leading-6">
              <SeverityBadge severity={f.severity} />{" "}
              {f.rule && (
                <>
                  <span className="rounded bg-slate-100 px-1 font-mono text-xs text-slate-700">{ruleIdOf({ engine: f.engine, rule: f.rule })}</span>{" "}
                </>
              )}
              <span className="font-mono text-xs text-slate-600">
                {f.file}
                {f.line ? `:${f.line}` : ""}
              </span>{" "}
              <span className="text-slate-800">{f.message}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function SourceCard({ source }: { source: PackageFinding }) {
  const review = source.output?.review;
  const rules = source.output?.rules;
  const risk = review?.risk_score ?? source.riskScore;
  return (
    <div className={`${card} space-y-3`}>
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <span className="font-semibold capitalize">{source.agent} agent</span>
        <span className="text-slate-500">{source.stage} stage</span>
        <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">
          provider <b>{source.provider}</b> · model {source.model ?? "none"}
        </span>
        <span className={`ml-auto rounded px-2 py-0.5 text-xs font-medium ${riskTone(risk ?? null)}`}>risk {risk ?? "–"}</span>
      </div>
      <p className="whitespace-pre-wrap text-sm text-slate-700">{review?.review_rationale ?? source.rationale}</p>
      {review && (
        <div className="grid gap-3 md:grid-cols-2">
          {findingGroups.map(({ key, label }) => (
            <FindingList key={key} title={label} findings={(review[key] as Finding[] | undefined) ?? []} />
          ))}
        </div>
      )}
      {/* Each deterministic finding names the engine and rule that produced it (gitleaks:aws-access-token). */}
      {rules && <FindingList title="Rules that fired" findings={rules.findings ?? []} testId="rule-findings" />}
      {rules && (
        <p className="text-xs text-slate-500">
          Deterministic rules: {rules.findings?.length ?? 0} finding{rules.findings?.length === 1 ? "" : "s"}
          {rules.riskFloor !== undefined && <>, risk floor {rules.riskFloor} (the model may raise risk above it, never lower it)</>}
          {rules.unreviewedFiles && rules.unreviewedFiles.length > 0 && <>; could not read {rules.unreviewedFiles.map((u) => u.file).join(", ")}</>}.
        </p>
      )}
    </div>
  );
}

/** What the agents found, per agent, as they reported it. */
export function FindingsSection({ pkg }: { pkg: ContextPackageView }) {
  return (
    <Section id="found" title="What the agents found">
      {pkg.findings.length === 0 ? (
        <p className={`${card} text-sm text-slate-600`}>No agent produced findings for this escalation.</p>
      ) : (
        <div className="space-y-3">
          {pkg.findings.map((source, i) => (
            <SourceCard key={i} source={source} />
          ))}
        </div>
      )}
    </Section>
  );
}
