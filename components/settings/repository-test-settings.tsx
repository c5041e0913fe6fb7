"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { fetchJson } from "@/components/ui/api";
import { testPresetNames, testPresets, type TestPreset, type TestSettings } from "@/lib/repositories/test-settings";

/** How the test agent tests one repository: a preset, an optional command override and limits. */
export function RepositoryTestSettings({ repositoryId, current }: { repositoryId: string; current: TestSettings | null }) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [preset, setPreset] = useState<TestPreset | "">(current?.preset ?? "");
  const [testCommand, setTestCommand] = useState("");
  const [timeLimit, setTimeLimit] = useState(String(current?.timeLimitSeconds ?? 600));
  const [memoryLimit, setMemoryLimit] = useState(String(current?.memoryLimitMb ?? 2048));
  const [diskLimit, setDiskLimit] = useState(String(current?.diskLimitMb ?? 4096));
  const [installNetwork, setInstallNetwork] = useState<"none" | "egress">(current?.installNetwork ?? "none");
  const save = useMutation({
    mutationFn: () =>
      fetchJson(`/api/v1/repositories/${repositoryId}`, {
        method: "PATCH",
        body: JSON.stringify({
          test: preset
            ? {
                preset,
                testCommand: testCommand.trim() || undefined,
                timeLimitSeconds: Number(timeLimit),
                memoryLimitMb: Number(memoryLimit),
                diskLimitMb: Number(diskLimit),
                processLimit: current?.processLimit,
                installNetwork,
              }
            : null,
        }),
      }),
    onSuccess: () => {
      setEditing(false);
      queryClient.invalidateQueries({ queryKey: ["repositories"] });
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  if (!editing) {
    return (
      <span className="flex items-center gap-2 text-xs text-slate-600" data-testid="repository-tests">
        {current ? (
          <>
            tests: <b>{current.preset}</b> · limit {current.timeLimitSeconds} s, {current.memoryLimitMb} MB, {current.diskLimitMb} MB disk · install network{" "}
            <b className={current.installNetwork === "egress" ? "text-amber-700" : undefined}>{current.installNetwork}</b>
          </>
        ) : (
          <span className="text-amber-700">tests not configured: the test stage escalates until they are</span>
        )}
        <button type="button" className="text-indigo-700 hover:underline" onClick={() => setEditing(true)}>
          Edit
        </button>
      </span>
    );
  }
  return (
    <form onSubmit={submit} className="flex w-full flex-wrap items-end gap-2 text-xs">
      <label className="flex flex-col">
        <span className="mb-1 font-medium">Test preset</span>
        <select value={preset} onChange={(e) => setPreset(e.target.value as TestPreset | "")} className="rounded border border-slate-300 px-1 py-1">
          <option value="">not configured</option>
          {testPresetNames.map((name) => (
            <option key={name} value={name}>
              {name}: {testPresets[name].label}
            </option>
          ))}
        </select>
      </label>
      <label className="flex flex-col">
        <span className="mb-1 font-medium">Test command (optional override)</span>
        <input value={testCommand} onChange={(e) => setTestCommand(e.target.value)} placeholder={preset ? testPresets[preset].testCommand : ""} className="w-80 rounded border border-slate-300 px-1 py-1 font-mono" />
      </label>
      <label className="flex flex-col">
        <span className="mb-1 font-medium">Time limit (s)</span>
        <input value={timeLimit} onChange={(e) => setTimeLimit(e.target.value)} inputMode="numeric" className="w-20 rounded border border-slate-300 px-1 py-1" />
      </label>
      <label className="flex flex-col">
        <span className="mb-1 font-medium">Memory limit (MB)</span>
        <input value={memoryLimit} onChange={(e) => setMemoryLimit(e.target.value)} inputMode="numeric" className="w-20 rounded border border-slate-300 px-1 py-1" />
      </label>
      <label className="flex flex-col">
        <span className="mb-1 font-medium">Disk limit (MB)</span>
        <input value={diskLimit} onChange={(e) => setDiskLimit(e.target.value)} inputMode="numeric" className="w-20 rounded border border-slate-300 px-1 py-1" />
      </label>
      <label className="flex flex-col" title="The install command may reach the internet (never the host's own services); the test command never has a network">
        <span className="mb-1 font-medium">Install network</span>
        <select value={installNetwork} onChange={(e) => setInstallNetwork(e.target.value as "none" | "egress")} className="rounded border border-slate-300 px-1 py-1">
          <option value="none">none</option>
          <option value="egress">egress (no host loopback)</option>
        </select>
      </label>
      <button type="submit" disabled={save.isPending} className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50">
        Save
      </button>
      <button type="button" onClick={() => setEditing(false)} className="px-2 py-1 text-slate-600">
        Cancel
      </button>
      {save.isError && <span className="text-red-700">{save.error.message}</span>}
    </form>
  );
}
