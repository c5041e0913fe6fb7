"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { fetchJson } from "@/components/ui/api";
import { roles, type Role } from "@/lib/auth/roles";

/** An admin's access actions on one person: role, disable or enable, sign out everywhere (each audited). */
export function UserAccess({ user, self }: { user: { id: string; email: string; role: Role; disabled: boolean }; self: boolean }) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  async function change(body: Record<string, unknown>, done: string) {
    setPending(true);
    setMessage(null);
    try {
      await fetchJson(`/api/v1/users/${user.id}`, { method: "PATCH", body: JSON.stringify(body) });
      setMessage(done);
      router.refresh();
    } catch (err) {
      setMessage((err as Error).message);
    } finally {
      setPending(false);
    }
  }
  return (
    <div className="flex flex-wrap items-center gap-2 text-xs" data-testid={`user-access-${user.email}`}>
      <select
        aria-label={`Role of ${user.email}`}
        value={user.role}
        disabled={pending || self}
        onChange={(e) => void change({ role: e.target.value }, `now ${e.target.value}`)}
        className="rounded border border-slate-300 px-1 py-0.5"
      >
        {roles.map((role) => (
          <option key={role} value={role}>
            {role}
          </option>
        ))}
      </select>
      {!self && (
        <button type="button" disabled={pending} className="text-indigo-700 hover:underline" onClick={() => void change({ disabled: !user.disabled }, user.disabled ? "enabled" : "disabled; sessions ended")}>
          {user.disabled ? "Enable" : "Disable"}
        </button>
      )}
      <button type="button" disabled={pending} className="text-indigo-700 hover:underline" onClick={() => void change({ signOutEverywhere: true }, "every session ended")}>
        Sign out everywhere
      </button>
      {message && <span className="text-slate-600">{message}</span>}
    </div>
  );
}
