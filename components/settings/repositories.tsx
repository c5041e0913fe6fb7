"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { fetchJson } from "@/components/ui/api";
import type { RepositoryRow } from "@/lib/repositories/list-repositories";
import { RepositoryDeploySettings } from "./repository-deploy-settings";
import { RepositoryTestSettings } from "./repository-test-settings";

/** Registered repositories, and a form to register a local git repository. */
export function Repositories() {
  const queryClient = useQueryClient();
  const query = useQuery({ queryKey: ["repositories"], queryFn: () => fetchJson<{ repositories: RepositoryRow[] }>("/api/v1/repositories") });
  const [name, setName] = useState("");
  const [path, setPath] = useState("");
  const register = useMutation({
    mutationFn: () => fetchJson("/api/v1/repositories", { method: "POST", body: JSON.stringify({ name, path }) }),
    onSuccess: () => {
      setName("");
      setPath("");
      queryClient.invalidateQueries({ queryKey: ["repositories"] });
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    register.mutate();
  }
  return (
    <div className="space-y-3">
      {query.data && query.data.repositories.length === 0 && (
        <p className="text-sm text-slate-600">No repositories yet. Register a local git repository below or with npm run ctl -- repo add.</p>
      )}
      {query.data && query.data.repositories.length > 0 && (
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm">
          {query.data.repositories.map((r) => (
            <li key={r.id} className="flex flex-wrap gap-3 px-3 py-2">
              <span className="font-medium">{r.name}</span>
              <span className="font-mono text-xs text-slate-600">{r.location}</span>
              <span className="text-xs text-slate-500">default branch {r.defaultBranch}</span>
              <RepositoryTestSettings repositoryId={r.id} current={r.test} />
              <RepositoryDeploySettings repositoryId={r.id} current={r.deploy} />
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={submit} className="flex flex-wrap items-end gap-3 text-sm">
        <label className="flex flex-col">
          <span className="mb-1 font-medium">Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="payments-service" className="rounded-md border border-slate-300 px-2 py-1" />
        </label>
        <label className="flex flex-col">
          <span className="mb-1 font-medium">Path on the server</span>
          <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/srv/git/payments" className="w-72 rounded-md border border-slate-300 px-2 py-1" />
        </label>
        <button type="submit" disabled={register.isPending} className="rounded-md border border-slate-300 px-3 py-1.5 hover:bg-slate-50">
          Register
        </button>
        {register.isError && <span className="text-red-700">{register.error.message}</span>}
      </form>
    </div>
  );
}
