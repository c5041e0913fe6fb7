"use client";

import { Fragment, memo, useMemo, useState } from "react";
import { parseUnifiedDiff, type DiffLine, type ParsedDiff } from "@/lib/diff/unified-diff";
import { orderFilesByRisk, type OrderedFile } from "./diff-order";
import { FindingNote } from "./finding-note";
import { grammarFor, tokenTone, tokenize } from "./syntax";
import type { Finding } from "./types";

/** Files shown open; the rest wait behind "show" so a wide change opens on what matters. */
const OPEN_FILES = 5;
/** Lines rendered per file before "show all": keeps a 10k-line diff from freezing the page. */
const LINE_CAP = 400;

const lineTone: Record<DiffLine["kind"], string> = {
  add: "bg-emerald-50",
  del: "bg-red-50",
  context: "",
};
const markerTone: Record<DiffLine["kind"], string> = {
  add: "text-emerald-700",
  del: "text-red-700",
  context: "text-slate-300",
};
const marker: Record<DiffLine["kind"], string> = { add: "+", del: "−", context: " " };

/** The id of a new-file line in the diff view, for links such as "uncovered lines 3–5". */
export const diffLineAnchor = (path: string, line: number) => `diff-${path}-L${line}`;

const Code = memo(function Code({ text, path }: { text: string; path: string }) {
  const grammar = grammarFor(path);
  return (
    <>
      {tokenize(text, grammar).map((token, i) =>
        token.kind === "plain" ? token.text : (
          <span key={i} className={tokenTone[token.kind]}>
            {token.text}
          </span>
        ),
      )}
    </>
  );
});

function LineRow({ line, path, findings }: { line: DiffLine; path: string; findings: Finding[] | undefined }) {
  return (
    <>
      <tr className={lineTone[line.kind]} data-line-kind={line.kind} id={line.kind !== "del" && line.newLine !== null ? diffLineAnchor(path, line.newLine) : undefined}>
        <td className="w-px select-none px-2 text-right text-slate-400">{line.oldLine ?? ""}</td>
        <td className="w-px select-none px-2 text-right text-slate-400">{line.newLine ?? ""}</td>
        <td className={`w-px select-none pl-1 pr-2 ${markerTone[line.kind]}`}>{marker[line.kind]}</td>
        <td className="whitespace-pre pr-4 text-slate-800">
          <Code text={line.content} path={path} />
        </td>
      </tr>
      {findings && (
        <tr>
          <td colSpan={4} className="px-3 py-1.5 font-sans">
            <div className="space-y-1">
              {findings.map((finding, i) => (
                <FindingNote key={i} finding={finding} />
              ))}
            </div>
          </td>
        </tr>
      )}
    </>
  );
}

/** Findings on lines past the cap: the reviewer must know there is more to see. */
function findingsBeyondCap({ hunks, findings }: OrderedFile): number {
  let seen = 0;
  let hidden = 0;
  for (const hunk of hunks) {
    for (const line of hunk.lines) {
      seen++;
      if (seen > LINE_CAP && line.newLine !== null) hidden += findings.byLine.get(line.newLine)?.length ?? 0;
    }
  }
  return hidden;
}

function FileBody({ entry }: { entry: OrderedFile }) {
  const [showAll, setShowAll] = useState(false);
  const { file, hunks, findings } = entry;
  if (file.binary) return <p className="px-4 py-3 text-sm text-slate-500">Binary file: not shown.</p>;
  if (hunks.length === 0) return <p className="px-4 py-3 text-sm text-slate-500">No line changes (mode or rename only).</p>;
  const total = hunks.reduce((sum, h) => sum + h.lines.length, 0);
  const hiddenFindings = showAll ? 0 : findingsBeyondCap(entry);
  let budget = showAll ? Infinity : LINE_CAP;
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full border-collapse font-mono text-xs leading-5">
        <tbody>
          {hunks.map((hunk) => {
            if (budget <= 0) return null;
            const lines = hunk.lines.slice(0, budget);
            // eslint-disable-next-line react-hooks/immutability -- map runs during this render; no React Compiler memoizes it
            budget -= lines.length;
            return (
              <Fragment key={hunk.header}>
                <tr className="bg-indigo-50/60 text-indigo-700">
                  <td colSpan={4} className="px-3 py-0.5">
                    {hunk.header}
                  </td>
                </tr>
                {lines.map((line, i) => (
                  <LineRow key={i} line={line} path={file.path} findings={line.newLine !== null ? findings.byLine.get(line.newLine) : undefined} />
                ))}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      {!showAll && total > LINE_CAP && (
        <div className="border-t border-slate-200 px-4 py-2 text-sm">
          Showing the first {LINE_CAP} of {total} lines
          {hiddenFindings > 0 && (
            <b className="text-amber-800">
              {" "}
              ({hiddenFindings} finding{hiddenFindings === 1 ? "" : "s"} further down)
            </b>
          )}
          .{" "}
          <button type="button" className="font-medium text-indigo-700 hover:underline" onClick={() => setShowAll(true)}>
            Show all
          </button>
        </div>
      )}
    </div>
  );
}

const statusTone: Record<string, string> = {
  added: "bg-emerald-100 text-emerald-800",
  deleted: "bg-red-100 text-red-800",
  renamed: "bg-sky-100 text-sky-800",
  modified: "bg-slate-100 text-slate-700",
};

function DiffFileView({ entry, initiallyOpen }: { entry: OrderedFile; initiallyOpen: boolean }) {
  const [open, setOpen] = useState(initiallyOpen);
  const { file, findings } = entry;
  return (
    <div className="overflow-hidden rounded-lg border border-slate-200 bg-white" data-testid="diff-file" data-path={file.path}>
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 bg-slate-50 px-3 py-2 text-sm">
        <span className="font-mono text-xs font-medium text-slate-900">
          {file.status === "renamed" && file.oldPath ? `${file.oldPath} → ` : ""}
          {file.path}
        </span>
        <span className={`rounded px-1.5 py-0.5 text-xs ${statusTone[file.status] ?? statusTone.modified}`}>{file.status}</span>
        <span className="text-xs text-emerald-700">+{file.additions}</span>
        <span className="text-xs text-red-700">−{file.deletions}</span>
        {findings.count > 0 && (
          <span className="rounded bg-amber-100 px-1.5 py-0.5 text-xs text-amber-800">
            {findings.count} finding{findings.count === 1 ? "" : "s"}
          </span>
        )}
        <button type="button" className="ml-auto text-xs font-medium text-indigo-700 hover:underline" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? "hide" : "show"}
        </button>
      </div>
      {open && findings.unanchored.length > 0 && (
        <div className="space-y-1 border-b border-slate-200 px-3 py-2">
          {findings.unanchored.map((finding, i) => (
            <FindingNote key={i} finding={finding} showWhere />
          ))}
        </div>
      )}
      {open && <FileBody entry={entry} />}
    </div>
  );
}

function parseSafely(diff: string): { parsed: ParsedDiff | null; error: string | null } {
  try {
    return { parsed: parseUnifiedDiff(diff), error: null };
  } catch (error) {
    return { parsed: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/** The run's diff, riskiest files first, with the agents' findings under the lines they cite. */
export function DiffViewer({ diff, findings }: { diff: string; findings: Finding[] }) {
  const { parsed, error } = useMemo(() => parseSafely(diff), [diff]);
  const ordered = useMemo(() => (parsed ? orderFilesByRisk(parsed.files, findings) : []), [parsed, findings]);
  if (error) return <p className="text-sm text-red-700">The diff could not be displayed: {error}</p>;
  return (
    <div className="space-y-3">
      {ordered.map((entry, index) => (
        <DiffFileView key={entry.file.path} entry={entry} initiallyOpen={index < OPEN_FILES} />
      ))}
    </div>
  );
}
