import { memo, useMemo } from "react";
import { RunDiffViewer } from "./run-diff-viewer";
import { languagesOf } from "@/lib/diff/languages";
import { Section } from "./section";
import { reviewFindings, type ContextPackageView } from "./types";

/**
 * What changed: the numbers first, then the diff itself with the findings in place. Memoised:
 * the page re-renders on every poll and clock tick, and a big diff must not re-render with it.
 */
export const ChangeSection = memo(function ChangeSection({ pkg, runId }: { pkg: ContextPackageView; runId: string }) {
  const findings = useMemo(() => reviewFindings(pkg), [pkg]);
  const files = pkg.change.files;
  const languages = languagesOf(files.map((f) => f.path));
  return (
    <Section id="changed" title="What changed">
      <p className="mb-3 text-sm text-slate-700" data-testid="change-summary">
        {files.length} file{files.length === 1 ? "" : "s"} · <span className="text-emerald-700">+{pkg.change.additions}</span>{" "}
        <span className="text-red-700">−{pkg.change.deletions}</span>
        {languages.length > 0 && <> · {languages.join(", ")}</>}
        <span className="ml-2 font-mono text-xs text-slate-500">head {pkg.change.headSha.slice(0, 10)}</span>
      </p>
      <RunDiffViewer runId={runId} findings={findings} />
    </Section>
  );
});
