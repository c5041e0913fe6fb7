/**
 * The GitHub App Flowgate needs, as a GitHub App manifest (docs.github.com, "Registering a GitHub
 * App from a manifest"): what Settings → Code host offers to copy and the README shows. Import-free,
 * so the settings page renders it in the browser with its own origin.
 */
export const GITHUB_WEBHOOK_PATH = "/api/v1/hooks/github";

/** Repository permissions and why each is needed (the README lists the same). */
export const githubAppPermissions = {
  checks: "write", // one check per stage and the gate
  contents: "write", // read: fetch and compare; write: merge, and bring a branch up to date
  deployments: "write", // the canary and production deployments
  issues: "write", // the one comment on the pull request
  pull_requests: "write", // read pull requests, merge them
  metadata: "read",
} as const;

export const githubAppEvents = ["pull_request", "check_run", "check_suite"] as const;

export function githubAppManifest(origin: string) {
  return {
    name: "Flowgate",
    url: origin,
    hook_attributes: { url: `${origin}${GITHUB_WEBHOOK_PATH}`, active: true },
    redirect_url: `${origin}/settings`,
    public: false,
    default_permissions: githubAppPermissions,
    default_events: githubAppEvents,
  };
}
