"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { fetchJson as request } from "@/components/ui/api";
import type { TokenRow } from "@/lib/auth/api-tokens";

export function ApiTokens({ scopes }: { scopes: string[] }) {
  const queryClient = useQueryClient();
  const tokens = useQuery({ queryKey: ["tokens"], queryFn: () => request<{ tokens: TokenRow[] }>("/api/v1/tokens") });
  const [name, setName] = useState("");
  const [chosen, setChosen] = useState<string[]>(["runs:write"]);
  const [created, setCreated] = useState<string | null>(null);

  const create = useMutation({
    mutationFn: () => request<{ token: string }>("/api/v1/tokens", { method: "POST", body: JSON.stringify({ name, scopes: chosen }) }),
    onSuccess: ({ token }) => {
      setCreated(token);
      setName("");
      queryClient.invalidateQueries({ queryKey: ["tokens"] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => request(`/api/v1/tokens/${id}`, { method: "DELETE" }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["tokens"] }),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setCreated(null);
    create.mutate();
  }

  return (
    <div className="space-y-4">
      <form onSubmit={submit} className="rounded-lg border border-slate-200 bg-white p-4">
        <div className="flex flex-wrap items-end gap-4">
          <label className="flex flex-col text-sm">
            <span className="mb-1 font-medium">Name</span>
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="ci-pipeline"
              className="rounded-md border border-slate-300 px-3 py-1.5"
            />
          </label>
          <fieldset className="flex flex-wrap gap-3 text-sm">
            <legend className="mb-1 font-medium">Scopes</legend>
            {scopes.map((scope) => (
              <label key={scope} className="flex items-center gap-1">
                <input
                  type="checkbox"
                  checked={chosen.includes(scope)}
                  onChange={(e) => setChosen((c) => (e.target.checked ? [...c, scope] : c.filter((s) => s !== scope)))}
                />
                <span className="font-mono text-xs">{scope}</span>
              </label>
            ))}
          </fieldset>
          <button
            type="submit"
            disabled={create.isPending}
            className="rounded-md bg-indigo-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
          >
            Create token
          </button>
        </div>
        {create.error && <p className="mt-3 text-sm text-red-700">{create.error.message}</p>}
        {created && (
          <div className="mt-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
            <p className="font-medium">Copy this token now. It is shown once and stored only as a hash.</p>
            <code data-testid="new-token" className="mt-1 block break-all font-mono text-xs">
              {created}
            </code>
          </div>
        )}
      </form>

      {tokens.isLoading && <p className="text-sm text-slate-500">Loading tokens…</p>}
      {tokens.error && <p className="text-sm text-red-700">Could not load tokens: {tokens.error.message}</p>}
      {tokens.data && tokens.data.tokens.length === 0 && (
        <p className="text-sm text-slate-600">No API tokens yet. Create one above for your CI system or scripts.</p>
      )}
      {tokens.data && tokens.data.tokens.length > 0 && (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full text-sm">
            <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
              <tr>
                <th className="px-3 py-2">Name</th>
                <th className="px-3 py-2">Token</th>
                <th className="px-3 py-2">Owner</th>
                <th className="px-3 py-2">Scopes</th>
                <th className="px-3 py-2">Last used</th>
                <th className="px-3 py-2" />
              </tr>
            </thead>
            <tbody>
              {tokens.data.tokens.map((t) => (
                <tr key={t.id} className="border-t border-slate-100">
                  <td className="px-3 py-2">{t.name}</td>
                  <td className="px-3 py-2 font-mono text-xs">{t.tokenPrefix}…</td>
                  <td className="px-3 py-2 text-slate-600">{t.user.email}</td>
                  <td className="px-3 py-2 font-mono text-xs">{t.scopes.join(", ")}</td>
                  <td className="px-3 py-2 text-slate-600">{t.lastUsedAt ? new Date(t.lastUsedAt).toLocaleString() : "never"}</td>
                  <td className="px-3 py-2 text-right">
                    {t.revokedAt ? (
                      <span className="text-xs text-slate-500">revoked</span>
                    ) : (
                      <button
                        onClick={() => revoke.mutate(t.id)}
                        className="rounded border border-red-200 px-2 py-1 text-xs text-red-700 hover:bg-red-50"
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
