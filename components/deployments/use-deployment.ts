"use client";

import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "@/components/ui/api";
import type { DeploymentDetail } from "@/lib/deployments/load-deployment";
import { deploymentPageUrl } from "./page-url";

const LIVE_POLL_MS = 2_000;

/** A deployment, polled every 2 s while an agent still works on it. */
export function useDeployment(id: string) {
  return useQuery({
    queryKey: ["deployment", id],
    queryFn: () => fetchJson<DeploymentDetail>(deploymentPageUrl(id)),
    refetchInterval: (query) => (query.state.data?.deployment.live ? LIVE_POLL_MS : false),
  });
}
