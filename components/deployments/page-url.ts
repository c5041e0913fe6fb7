/**
 * The URL the deployment page reads (and preloads with the page): the samples come downsampled
 * for the charts, a few hundred rows per chart however long the canary; the raw ones are in the
 * CSV export. A plain module, so the server page and the client hook build the very same URL.
 */
export function deploymentPageUrl(id: string) {
  return `/api/v1/deployments/${encodeURIComponent(id)}?samples=display`;
}
