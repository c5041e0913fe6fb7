"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { fetchJson } from "@/components/ui/api";
import type { ChannelRow, DeliveryRow } from "@/lib/notifications/channels";
import { notificationEventLabels, notificationEvents } from "@/lib/notifications/events";

const events = notificationEvents.map((value) => ({ value, label: notificationEventLabels[value] }));

const statusTone: Record<DeliveryRow["status"], string> = {
  pending: "bg-slate-100 text-slate-700",
  delivered: "bg-emerald-100 text-emerald-800",
  failed: "bg-red-100 text-red-800",
};

/** Where escalation notifications go, a form to add a destination, and what happened to recent ones. */
export function NotificationChannels() {
  return (
    <div className="space-y-4">
      <ChannelList />
      <AddChannelForm />
      <RecentDeliveries />
    </div>
  );
}

function ChannelList() {
  const queryClient = useQueryClient();
  const query = useQuery({ queryKey: ["notification-channels"], queryFn: () => fetchJson<{ channels: ChannelRow[] }>("/api/v1/notification-channels") });
  const remove = useMutation({
    mutationFn: (id: string) => fetchJson(`/api/v1/notification-channels/${id}`, { method: "DELETE" }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["notification-channels"] }),
  });
  if (query.isError) return <p className="text-sm text-red-700">{query.error.message}</p>;
  if (!query.data) return null;
  if (query.data.channels.length === 0) {
    return (
      <p className="text-sm text-slate-600">
        No channels yet, so nobody is told about new escalations or missed SLAs. Add a Slack incoming webhook or a generic webhook below.
      </p>
    );
  }
  return (
    <div className="space-y-2">
      <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm">
        {query.data.channels.map((c) => (
          <li key={c.id} className="flex flex-wrap items-center gap-3 px-3 py-2">
            <span className="font-medium">{c.name}</span>
            <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">{c.kind === "slack" ? "Slack" : "Webhook"}</span>
            {c.hasSecret && <span className="rounded bg-indigo-100 px-1.5 py-0.5 text-xs text-indigo-800">signed</span>}
            {!c.enabled && <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-500">disabled</span>}
            <span className="max-w-md truncate font-mono text-xs text-slate-600" title={c.url}>
              {c.url}
            </span>
            <span className="text-xs text-slate-500">{c.events.length === 0 ? "all events" : c.events.map(eventLabel).join(", ")}</span>
            <button
              type="button"
              onClick={() => {
                if (window.confirm(`Delete the channel ${c.name}? Its delivery history goes with it.`)) remove.mutate(c.id);
              }}
              disabled={remove.isPending}
              className="ml-auto rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-50"
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
      {remove.isError && <p className="text-sm text-red-700">{remove.error.message}</p>}
    </div>
  );
}

function AddChannelForm() {
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<ChannelRow["kind"]>("slack");
  const [url, setUrl] = useState("");
  const [secret, setSecret] = useState("");
  const [chosen, setChosen] = useState<string[]>(events.map((e) => e.value));
  const create = useMutation({
    mutationFn: () =>
      fetchJson("/api/v1/notification-channels", {
        method: "POST",
        // Every box ticked is sent as "all events", so the channel also receives events added later.
        body: JSON.stringify({ name, kind, url, events: chosen.length === events.length ? [] : chosen, ...(kind === "webhook" && secret ? { secret } : {}) }),
      }),
    onSuccess: () => {
      setName("");
      setUrl("");
      setSecret("");
      queryClient.invalidateQueries({ queryKey: ["notification-channels"] });
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }
  return (
    <form onSubmit={submit} className="rounded-lg border border-slate-200 bg-white p-4 text-sm">
      <div className="flex flex-wrap items-end gap-3">
        <label className="flex flex-col">
          <span className="mb-1 font-medium">Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="#reviews" className="rounded-md border border-slate-300 px-2 py-1" />
        </label>
        <label className="flex flex-col">
          <span className="mb-1 font-medium">Kind</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as ChannelRow["kind"])} className="rounded-md border border-slate-300 px-2 py-1">
            <option value="slack">Slack incoming webhook</option>
            <option value="webhook">Generic webhook (JSON)</option>
          </select>
        </label>
        <label className="flex flex-col">
          <span className="mb-1 font-medium">URL</span>
          <input
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder={kind === "slack" ? "https://hooks.slack.com/services/…" : "https://example.com/flowgate-hook"}
            className="w-80 rounded-md border border-slate-300 px-2 py-1"
          />
        </label>
        {kind === "webhook" && (
          <label className="flex flex-col">
            <span className="mb-1 font-medium">Signing secret (optional)</span>
            <input
              type="password"
              value={secret}
              onChange={(e) => setSecret(e.target.value)}
              placeholder="at least 16 characters"
              autoComplete="off"
              className="w-56 rounded-md border border-slate-300 px-2 py-1"
            />
          </label>
        )}
        <fieldset className="flex flex-wrap gap-3">
          <legend className="mb-1 font-medium">Events</legend>
          {events.map((e) => (
            <label key={e.value} className="flex items-center gap-1">
              <input
                type="checkbox"
                checked={chosen.includes(e.value)}
                onChange={(ev) => setChosen((c) => (ev.target.checked ? [...c, e.value] : c.filter((v) => v !== e.value)))}
              />
              <span>{e.label}</span>
            </label>
          ))}
        </fieldset>
        <button
          type="submit"
          disabled={create.isPending || chosen.length === 0}
          className="rounded-md bg-indigo-600 px-4 py-1.5 font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
        >
          Add channel
        </button>
      </div>
      {kind === "webhook" && (
        <p className="mt-2 text-xs text-slate-500">
          With a secret, each request carries <code>X-Flowgate-Signature: sha256=&lt;HMAC-SHA256 of the body&gt;</code>. The secret is not shown again.
        </p>
      )}
      {create.isError && <p className="mt-2 text-red-700">{create.error.message}</p>}
    </form>
  );
}

function RecentDeliveries() {
  const query = useQuery({
    queryKey: ["notifications"],
    queryFn: () => fetchJson<{ notifications: DeliveryRow[] }>("/api/v1/notifications"),
    refetchInterval: 5000,
  });
  return (
    <div>
      <h3 className="mb-2 text-sm font-semibold">Recent deliveries</h3>
      {query.isError && <p className="text-sm text-red-700">{query.error.message}</p>}
      {query.data && query.data.notifications.length === 0 && (
        <p className="text-sm text-slate-600">Nothing sent yet. Deliveries appear here when a run is escalated or an escalation misses its SLA.</p>
      )}
      {query.data && query.data.notifications.length > 0 && (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full text-sm">
            <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
              <tr>
                <th className="px-3 py-2">When</th>
                <th className="px-3 py-2">Channel</th>
                <th className="px-3 py-2">Event</th>
                <th className="px-3 py-2">Status</th>
                <th className="px-3 py-2">Attempts</th>
                <th className="px-3 py-2">Last response</th>
              </tr>
            </thead>
            <tbody>
              {query.data.notifications.map((n) => (
                <tr key={n.id} className="border-t border-slate-100 align-top">
                  <td className="whitespace-nowrap px-3 py-2 text-slate-600">{new Date(n.createdAt).toLocaleString()}</td>
                  <td className="px-3 py-2">{n.channelName}</td>
                  <td className="px-3 py-2">{eventLabel(n.event)}</td>
                  <td className="px-3 py-2">
                    <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${statusTone[n.status]}`}>{n.status}</span>
                  </td>
                  <td className="px-3 py-2">{n.attempts}</td>
                  <td className={`px-3 py-2 text-xs ${n.status === "failed" ? "text-red-700" : "text-slate-600"}`}>{lastResponse(n)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function eventLabel(value: string): string {
  return events.find((e) => e.value === value)?.label ?? value;
}

function lastResponse(n: DeliveryRow): string {
  if (n.status === "delivered") return `HTTP ${n.lastStatus ?? "2xx"}${n.deliveredAt ? ` at ${new Date(n.deliveredAt).toLocaleTimeString()}` : ""}`;
  if (n.lastError) return n.lastStatus !== null && !n.lastError.startsWith(`HTTP ${n.lastStatus}`) ? `HTTP ${n.lastStatus}: ${n.lastError}` : n.lastError;
  return n.status === "pending" ? "waiting for the runner" : "";
}
