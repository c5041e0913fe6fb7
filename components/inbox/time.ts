import { formatDuration } from "@/components/ui/format";

/** "3h 5m ago" or "in 3h 5m": relative to the server's clock when we have it. */
export function relativeTime(iso: string, now: number): string {
  const delta = new Date(iso).getTime() - now;
  return delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

export function absoluteTime(iso: string): string {
  return new Date(iso).toLocaleString();
}
