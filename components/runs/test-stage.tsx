"use client";

import { useState } from "react";
import { diffLineAnchor } from "@/components/escalations/diff-viewer";
import { grammarFor, tokenTone, tokenize } from "@/components/escalations/syntax";
import type { TestStageOutput as StoredTestStageOutput } from "@/agents/test/test-agent";
import type { Finding } from "@/components/escalations/types";
import type { Json } from "@/lib/json";

/** The test agent's stage output as stored on the StageRun; runs from before the sandbox lack `sandbox`. */
export type TestStageOutput = Omit<Json<StoredTestStageOutput>, "sandbox"> & { sandbox?: Json<StoredTestStageOutput>["sandbox"] };

export const isTestStageOutput = (output: unknown): output is TestStageOutput =>
  typeof output === "object" && output !== null && "coverage" in output && "generation" in output;

/** The uncovered changed lines as diff annotations, so the diff view shows where the gaps are. */
export function coverageGapFindings(output: TestStageOutput): Finding[] {
  const coverage = output.coverage.after ?? output.coverage.before;
  return (coverage?.files ?? []).flatMap((file) =>
    file.uncoveredRanges.map(([from, to]) => ({
      file: file.path,
      line: from,
      severity: "medium",
      message: from === to ? "Not covered by a passing test." : `Lines ${from}–${to} are not covered by a passing test.`,
    })),
  );
}

const percent = (value: number | null | undefined) => (value === null || value === undefined ? "–" : `${Math.round(value * 10) / 10}%`);

const generatedTone: Record<string, string> = {
  kept: "bg-emerald-100 text-emerald-800",
  failed: "bg-red-100 text-red-800",
  no_new_coverage: "bg-slate-100 text-slate-600",
  invalid_path: "bg-amber-100 text-amber-800",
};

export function TestStageView({ output, runId }: { output: TestStageOutput; runId: string }) {
  const { suite, coverage, generation } = output;
  const files = (coverage.after ?? coverage.before)?.files ?? [];
  return (
    <div className="space-y-3 text-sm" data-testid="test-stage">
      <div className="grid gap-2 sm:grid-cols-3">
        <Figure label="Existing suite" testId="suite-result">
          {suite ? `${suite.passed} passed · ${suite.failed + suite.errored} failed · ${suite.skipped} skipped` : "did not run"}
        </Figure>
        <Figure label="Changed-line coverage before" testId="coverage-before">
          {percent(coverage.before?.percent)} <span className="text-xs text-slate-500">target {coverage.target}%</span>
        </Figure>
        <Figure label="After generated tests" testId="coverage-after">
          {generation.mode === "llm" ? percent(coverage.after?.percent) : "no tests generated"}
        </Figure>
      </div>
      {output.sandbox && <SandboxLine sandbox={output.sandbox} />}
      {output.problem && <p className="text-red-700">Problem: {output.problem}</p>}
      {suite && suite.failures.length > 0 && (
        <div>
          <h4 className="font-medium">Failing tests</h4>
          <ul className="list-disc pl-5" data-testid="failing-tests">
            {suite.failures.map((f) => (
              <li key={f.name}>
                <b>{f.name}</b>: <span className="font-mono text-xs">{f.message.split("\n")[0]}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {files.length > 0 && (
        <table className="min-w-full" data-testid="coverage-files">
          <thead className="text-left text-xs uppercase text-slate-500">
            <tr>
              <th className="py-1 pr-3">File</th>
              <th className="py-1 pr-3">Covered</th>
              <th className="py-1 pr-3">Coverage</th>
              <th className="py-1">Uncovered changed lines</th>
            </tr>
          </thead>
          <tbody>
            {files.map((file) => (
              <tr key={file.path} className="border-t border-slate-100 align-top">
                <td className="py-1 pr-3 font-mono text-xs">{file.path}</td>
                <td className="py-1 pr-3">{file.status === "measured" || file.status === "not_in_report" ? `${file.covered} / ${file.executable}` : file.status.replaceAll("_", " ")}</td>
                <td className="py-1 pr-3">
                  {percent(file.percent)}
                  {file.status === "not_in_report" && <span className="ml-1 text-xs text-amber-700">(no test loads this file)</span>}
                </td>
                <td className="py-1 font-mono text-xs">
                  {file.uncoveredRanges.map(([from, to], i) => (
                    <a key={i} href={`#${diffLineAnchor(file.path, from)}`} className="mr-2 text-indigo-700 hover:underline">
                      {from === to ? from : `${from}–${to}`}
                    </a>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {generation.note && <p className="text-slate-700">{generation.note}</p>}
      {generation.tests.length > 0 && (
        <div className="space-y-2" data-testid="generated-tests">
          <div className="flex items-center gap-3">
            <h4 className="font-medium">Generated tests</h4>
            {generation.patch && (
              <a href={`/api/v1/runs/${runId}/test-patch`} className="text-indigo-700 hover:underline" download>
                Download kept tests as a patch
              </a>
            )}
          </div>
          {generation.tests.map((test, i) => (
            <GeneratedTest key={i} test={test} />
          ))}
        </div>
      )}
      <Commands commands={output.commands} />
    </div>
  );
}

/** Where the pull request's code ran: one quiet line when sandboxed, a red warning when it was not. */
function SandboxLine({ sandbox }: { sandbox: NonNullable<TestStageOutput["sandbox"]> }) {
  const { limits, network } = sandbox;
  const detail = `network: none for tests, ${network.install} for the install step · limits ${limits.timeSeconds} s, ${limits.memoryMb} MB memory (${sandbox.enforcement.memory}), ${limits.diskMb} MB disk, ${limits.processes} processes (${sandbox.enforcement.processes})`;
  if (sandbox.warning) {
    return (
      <p className="rounded border border-red-300 bg-red-50 px-3 py-2 font-medium text-red-800" data-testid="sandbox-warning">
        The pull request&apos;s code {sandbox.warning}.
      </p>
    );
  }
  return (
    <p className="text-xs text-slate-600" data-testid="sandbox-line">
      Ran in a bubblewrap sandbox as {sandbox.user} · {detail}
    </p>
  );
}

function Figure({ label, testId, children }: { label: string; testId: string; children: React.ReactNode }) {
  return (
    <div className="rounded border border-slate-200 bg-white px-3 py-2">
      <div className="text-xs text-slate-500">{label}</div>
      <div className="font-medium" data-testid={testId}>
        {children}
      </div>
    </div>
  );
}

function GeneratedTest({ test }: { test: TestStageOutput["generation"]["tests"][number] }) {
  const [open, setOpen] = useState(test.status === "kept");
  const grammar = grammarFor(test.path);
  return (
    <div className="rounded border border-slate-200 bg-white">
      <button type="button" className="flex w-full flex-wrap items-center gap-2 px-3 py-1.5 text-left" onClick={() => setOpen(!open)}>
        <span className="font-mono text-xs">{test.path}</span>
        <span className={`rounded px-1.5 py-0.5 text-xs ${generatedTone[test.status] ?? ""}`}>{test.status.replaceAll("_", " ")}</span>
        <span className="text-xs text-slate-500">attempt {test.attempt}</span>
        <span className="text-xs text-slate-600">{test.reason}</span>
      </button>
      {open && (
        <pre className="overflow-x-auto border-t border-slate-200 px-3 py-2 font-mono text-xs leading-5">
          {test.content.split("\n").map((line, i) => (
            <div key={i}>
              {tokenize(line, grammar).map((token, j) =>
                token.kind === "plain" ? token.text : (
                  <span key={j} className={tokenTone[token.kind]}>
                    {token.text}
                  </span>
                ),
              )}
              {"\n"}
            </div>
          ))}
        </pre>
      )}
    </div>
  );
}

function Commands({ commands }: { commands: TestStageOutput["commands"] }) {
  if (commands.length === 0) return null;
  return (
    <details>
      <summary className="cursor-pointer text-slate-700">Commands run ({commands.length})</summary>
      <ul className="mt-2 space-y-2">
        {commands.map((c, i) => (
          <li key={i}>
            <div className="font-mono text-xs">
              $ {c.command}
              <span className="ml-2 text-slate-500">
                exit {c.exitCode ?? "–"} · {(c.durationMs / 1000).toFixed(1)} s{c.timedOut ? " · timed out" : ""}
                {c.memoryExceeded ? " · memory limit" : ""}
                {c.truncatedBytes > 0 ? ` · ${c.truncatedBytes} bytes of output truncated` : ""}
              </span>
            </div>
            {c.output && <pre className="mt-1 max-h-64 overflow-auto rounded bg-slate-900 p-2 text-xs text-slate-100">{c.output}</pre>}
          </li>
        ))}
      </ul>
    </details>
  );
}
