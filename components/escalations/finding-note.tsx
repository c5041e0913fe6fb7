import { severityBorder, severityTone, type Finding } from "./types";

export function SeverityBadge({ severity }: { severity: string }) {
  return <span className={`inline-block rounded px-1.5 py-0.5 text-[11px] font-semibold uppercase ${severityTone[severity] ?? severityTone.low}`}>{severity}</span>;
}

/** A finding as a note in the diff, coloured by severity. */
export function FindingNote({ finding, showWhere = false }: { finding: Finding & { group?: string }; showWhere?: boolean }) {
  return (
    <div data-testid="inline-finding" className={`flex items-start gap-2 rounded border-l-4 px-2 py-1 text-sm ${severityBorder[finding.severity] ?? severityBorder.low}`}>
      <SeverityBadge severity={finding.severity} />
      <span className="text-slate-800">
        {finding.group && <span className="mr-1 text-xs font-medium text-slate-500">{finding.group}:</span>}
        {showWhere && (
          <span className="mr-1 font-mono text-xs text-slate-500">
            {finding.file}
            {finding.line ? `:${finding.line}` : ""}
          </span>
        )}
        {finding.message}
      </span>
    </div>
  );
}
