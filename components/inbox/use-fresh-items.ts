"use client";

import { useCallback, useState } from "react";
import type { InboxItem } from "@/lib/escalations/inbox";

/**
 * Which items are "new": escalated after this page first loaded and not yet selected. Comparing
 * with the creation time (not with what the list happened to show) keeps a filter change from
 * flagging old escalations as new.
 */
export function useFreshItems(firstLoadAt: string | undefined) {
  const [seen, setSeen] = useState<ReadonlySet<string>>(new Set());
  const isFresh = useCallback(
    (item: InboxItem) => firstLoadAt !== undefined && item.createdAt > firstLoadAt && !seen.has(item.id),
    [firstLoadAt, seen],
  );
  const markSeen = useCallback((id: string) => setSeen((prev) => (prev.has(id) ? prev : new Set(prev).add(id))), []);
  return { isFresh, markSeen };
}
