"use client";

import Link from "next/link";
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { isPlainKey } from "@/components/inbox/keyboard";
import { ApiRequestError, postJson } from "@/components/ui/api";
import type { Me } from "@/lib/auth/me";
import { isPullRequestAuthor } from "@/lib/policy/approval-rules";
import type { DecideResult } from "@/lib/escalations/decide-escalation";
import { DecisionList } from "./decision-list";
import { approvalsSoFar, decisionNames, requiredApprovals, type DecisionKind, type EscalationDetail } from "./types";

const shortcut: Record<string, DecisionKind> = { a: "approve", r: "reject", c: "request_changes" };

const choiceTone: Record<DecisionKind, string> = {
  approve: "bg-emerald-600 text-white ring-emerald-600",
  reject: "bg-red-600 text-white ring-red-600",
  request_changes: "bg-amber-500 text-white ring-amber-500",
};

export function runStatusLabel(run: { status: string; currentStage: string | null }): string {
  if (run.status === "queued" || run.status === "running") return `${run.status}: ${run.currentStage ?? "next"} stage`;
  return run.status.replaceAll("_", " ");
}

function Outcome({ result }: { result: DecideResult }) {
  const waiting = result.status === "open";
  return (
    <div role="status" data-testid="decision-outcome" className={`rounded-md p-3 text-sm ${waiting ? "bg-sky-50 text-sky-900" : "bg-emerald-50 text-emerald-900"}`}>
      {waiting ? (
        <p>
          Your approval is recorded ({result.approvals} of {result.requiredApprovals}). A second reviewer must approve before the run continues.
        </p>
      ) : (
        <p>
          <b>{result.status === "approved" ? "Approved" : result.status === "rejected" ? "Rejected" : "Changes requested"}.</b>{" "}
          {result.status === "approved" ? "The run continues: " : "The run has ended: "}
          <b data-testid="outcome-run-status">{runStatusLabel(result.run)}</b>.
        </p>
      )}
      <p className="mt-2 flex gap-4">
        <Link href="/inbox" className="font-medium text-indigo-700 hover:underline">
          ← Back to the inbox
        </Link>
        <Link href={`/runs/${result.run.id}`} className="font-medium text-indigo-700 hover:underline">
          View the run
        </Link>
      </p>
    </div>
  );
}

function ClosedNotice({ escalation }: { escalation: EscalationDetail }) {
  return (
    <div className="rounded-md bg-slate-100 p-3 text-sm text-slate-800" data-testid="escalation-closed">
      <p>
        This escalation is closed: <b>{escalation.status.replaceAll("_", " ")}</b>
        {escalation.decidedAt && <> on {new Date(escalation.decidedAt).toLocaleString()}</>}. The run is{" "}
        <b>{runStatusLabel(escalation.run)}</b>.
      </p>
      <Link href="/inbox" className="mt-2 inline-block font-medium text-indigo-700 hover:underline">
        ← Back to the inbox
      </Link>
    </div>
  );
}

/** Approve / Reject / Request changes with a rationale; the server has the last word on every rule. */
export function DecisionPanel({
  escalation,
  me,
  initialDecision,
  onDecided,
}: {
  escalation: EscalationDetail;
  me: Me | undefined;
  initialDecision: DecisionKind | null;
  onDecided: () => void;
}) {
  const [decision, setDecision] = useState<DecisionKind | null>(initialDecision);
  const [rationale, setRationale] = useState("");
  const [error, setError] = useState<ApiRequestError | Error | null>(null);
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<DecideResult | null>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);

  const isOpen = escalation.status === "open";
  const alreadyApproved = Boolean(me && escalation.decisions.some((d) => d.user.id === me.user.id));
  const isAuthor = Boolean(me && isPullRequestAuthor(me.user.email, escalation.run.pullRequest.author));
  const showForm = isOpen && !alreadyApproved && !result;
  const required = requiredApprovals(escalation);

  const choose = useCallback((kind: DecisionKind) => {
    setDecision(kind);
    textarea.current?.focus();
  }, []);

  useEffect(() => {
    if (initialDecision) textarea.current?.focus();
    // Only on arrival from the inbox's a/r (so an empty dependency list): later polls must not steal the focus.
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const submit = useCallback(async () => {
    if (pending) return;
    if (!decision) {
      setError(new Error("Pick Approve, Reject or Request changes first."));
      return;
    }
    setPending(true);
    setError(null);
    try {
      const outcome = await postJson<DecideResult>(`/api/v1/escalations/${escalation.id}/decision`, { decision, rationale });
      setResult(outcome);
      setRationale("");
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setPending(false);
      // A 409 means someone else decided: refresh so the page shows who and what.
      onDecided();
    }
  }, [pending, decision, rationale, escalation.id, onDecided]);

  useEffect(() => {
    if (!showForm) return;
    function onKey(event: KeyboardEvent) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        void submit();
      } else if (event.key === "Escape" && event.target === textarea.current) {
        textarea.current?.blur();
      } else if (isPlainKey(event) && shortcut[event.key]) {
        // preventDefault keeps the letter itself out of the textarea we are about to focus.
        event.preventDefault();
        choose(shortcut[event.key]);
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [showForm, submit, choose]);

  const rationaleError = error instanceof ApiRequestError ? error.fieldMessage("rationale") : undefined;
  const generalError = error && !rationaleError ? error.message : null;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void submit();
  }

  return (
    <div className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="decision-panel">
      <div className="flex items-baseline justify-between">
        <h2 className="text-lg font-semibold">Decision</h2>
        <span className="text-xs text-slate-500" data-testid="approvals">
          {approvalsSoFar(escalation)} of {required} approval{required === 1 ? "" : "s"}
        </span>
      </div>
      {result && <Outcome result={result} />}
      {!isOpen && !result && <ClosedNotice escalation={escalation} />}
      {isOpen && alreadyApproved && !result && (
        <p className="rounded-md bg-sky-50 p-3 text-sm text-sky-900">You approved this escalation. Its policy needs a second, different reviewer.</p>
      )}
      {showForm && (
        <form onSubmit={onSubmit} className="space-y-3">
          {isAuthor && (
            <p className="rounded-md bg-amber-50 p-2 text-sm text-amber-900">You are the author of this pull request; another reviewer must decide.</p>
          )}
          <div role="radiogroup" aria-label="Decision" className="grid grid-cols-3 gap-2">
            {(Object.keys(decisionNames) as DecisionKind[]).map((kind) => (
              <button
                key={kind}
                type="button"
                role="radio"
                aria-checked={decision === kind}
                onClick={() => choose(kind)}
                className={`rounded-md px-2 py-1.5 text-sm font-medium ring-1 ring-inset ${decision === kind ? choiceTone[kind] : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50"}`}
              >
                {decisionNames[kind]}
              </button>
            ))}
          </div>
          <label className="block text-sm">
            <span className="mb-1 block font-medium">Rationale</span>
            <textarea
              ref={textarea}
              name="rationale"
              rows={5}
              value={rationale}
              onChange={(e) => setRationale(e.target.value)}
              aria-invalid={rationaleError ? true : undefined}
              aria-describedby="rationale-help"
              placeholder="Why is this safe to ship, or what has to change?"
              className={`w-full rounded-md border px-3 py-2 ${rationaleError ? "border-red-500" : "border-slate-300"}`}
            />
            <span id="rationale-help" className={`mt-1 block text-xs ${rationaleError ? "text-red-700" : "text-slate-500"}`} data-testid="rationale-message">
              {rationaleError ?? "Required: at least a sentence. It is recorded in the audit log with the package you saw."}
            </span>
          </label>
          <div className="flex items-center gap-3">
            <button
              type="submit"
              disabled={pending}
              className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
            >
              {pending ? "Recording…" : decision ? `Submit: ${decisionNames[decision].toLowerCase()}` : "Submit decision"}
            </button>
            <span className="text-xs text-slate-500">Ctrl/⌘ + Enter</span>
          </div>
          <p className="text-xs text-slate-500">
            Keys: <kbd className="font-mono">a</kbd> approve · <kbd className="font-mono">r</kbd> reject · <kbd className="font-mono">c</kbd> request changes ·{" "}
            <kbd className="font-mono">Esc</kbd> leave the text box
          </p>
        </form>
      )}
      {generalError && (
        <p role="alert" data-testid="decision-error" className="rounded-md bg-red-50 p-2 text-sm text-red-800">
          {generalError}
        </p>
      )}
      {escalation.decisions.length > 0 && <DecisionList decisions={escalation.decisions} />}
    </div>
  );
}
