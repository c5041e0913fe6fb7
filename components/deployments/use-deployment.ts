"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { fetchJson } from "@/components/ui/fetch-json";
import { appendSamples } from "@/lib/deployments/chart-series";
import type { DeploymentDetail } from "@/lib/deployments/load-deployment";

const LIVE_POLL_MS = 2_000;

/**
 * A deployment, polled every 2 s while an agent still works on it. After the first load each poll
 * asks only for the samples stored since the last one it has (`samplesAfter`), so watching a long
 * canary does not download every sample again.
 */
export function useDeployment(id: string) {
  const queryClient = useQueryClient();
  const queryKey = ["deployment", id];
  return useQuery({
    queryKey,
    queryFn: async () => {
      const shown = queryClient.getQueryData<DeploymentDetail>(queryKey);
      const after = shown?.lastSampleId;
      const fetched = await fetchJson<DeploymentDetail>(`/api/v1/deployments/${encodeURIComponent(id)}${after ? `?samplesAfter=${after}` : ""}`);
      if (!shown || !after) return fetched;
      return { ...fetched, samples: appendSamples(shown.samples, fetched.samples), samplesAfter: null };
    },
    refetchInterval: (query) => (query.state.data?.deployment.live ? LIVE_POLL_MS : false),
    // 20,000 samples: comparing old and new data field by field costs more than it saves.
    structuralSharing: false,
  });
}
