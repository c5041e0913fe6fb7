"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { fetchJson } from "@/components/ui/api";

/**
 * How staging and the canary deploy one repository, edited as JSON: targets, metric sources and
 * smoke checks nest too deeply for a flat form. The server validates it and names any bad field.
 */
export function RepositoryDeploySettings({ repositoryId, current }: { repositoryId: string; current: Record<string, unknown> }) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(() => JSON.stringify(current, null, 2));
  const [parseError, setParseError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (deploy: unknown) => fetchJson(`/api/v1/repositories/${repositoryId}`, { method: "PATCH", body: JSON.stringify({ deploy }) }),
    onSuccess: () => {
      setEditing(false);
      queryClient.invalidateQueries({ queryKey: ["repositories"] });
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    try {
      const parsed = JSON.parse(text);
      setParseError(null);
      save.mutate(parsed);
    } catch (err) {
      setParseError(`Not valid JSON: ${(err as Error).message}`);
    }
  }
  const production = current.production as { target?: { kind?: string }; metricSource?: { kind?: string } } | undefined;
  if (!editing) {
    return (
      <span className="flex items-center gap-2 text-xs text-slate-600" data-testid="repository-deploy">
        deploys: <b>{production?.target?.kind ?? "simulated"}</b> target, <b>{production?.metricSource?.kind ?? "simulated"}</b> metrics
        {current.clockScale !== 1 && <span className="text-amber-700">(compressed clock ×{String(current.clockScale)})</span>}
        <button type="button" className="text-indigo-700 hover:underline" onClick={() => setEditing(true)}>
          Edit
        </button>
      </span>
    );
  }
  return (
    <form onSubmit={submit} className="w-full space-y-1 text-xs">
      <textarea value={text} onChange={(e) => setText(e.target.value)} rows={14} spellCheck={false} className="w-full rounded border border-slate-300 p-2 font-mono" aria-label="Deploy settings (JSON)" />
      <div className="flex items-center gap-2">
        <button type="submit" disabled={save.isPending} className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50">
          Save
        </button>
        <button type="button" onClick={() => setEditing(false)} className="px-2 py-1 text-slate-600">
          Cancel
        </button>
        {(parseError || save.isError) && <span className="text-red-700">{parseError ?? save.error?.message}</span>}
      </div>
    </form>
  );
}
