import { env } from "../env";
import { isCodeHostKind, type CodeHost } from "./code-host";
import { createGitHubHost } from "./github/github-host";
import { createGitLabHost } from "./gitlab/gitlab-host";
import type { HostResolver } from "./publish/publish";

type HostConfig = Pick<ReturnType<typeof env>, "GITHUB_APP_ID" | "GITHUB_APP_PRIVATE_KEY" | "FLOWGATE_GITHUB_API_URL"> &
  Partial<Pick<ReturnType<typeof env>, "GITLAB_URL" | "GITLAB_TOKEN">>;

/**
 * The code hosts this process can talk to, from configuration: GitHub when a GitHub App is
 * configured (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY); GitLab when GITLAB_TOKEN is set (on
 * GITLAB_URL, gitlab.com by default). A repository on a host that is not configured resolves to
 * null, and its publications wait with that reason.
 */
export function codeHostResolver(config: HostConfig = env()): HostResolver {
  const github: CodeHost | null =
    config.GITHUB_APP_ID && config.GITHUB_APP_PRIVATE_KEY
      ? createGitHubHost({ appId: config.GITHUB_APP_ID, privateKey: config.GITHUB_APP_PRIVATE_KEY, baseUrl: config.FLOWGATE_GITHUB_API_URL })
      : null;
  const gitlab: CodeHost | null = config.GITLAB_TOKEN ? createGitLabHost({ url: config.GITLAB_URL ?? "https://gitlab.com", token: config.GITLAB_TOKEN }) : null;
  return (repository) => {
    if (!isCodeHostKind(repository.kind) || !repository.hostInstallationId) return null;
    if (repository.kind === "github" && github) {
      return { host: github, repository: { host: "github", fullName: repository.location, installationId: repository.hostInstallationId } };
    }
    if (repository.kind === "gitlab" && gitlab) {
      return { host: gitlab, repository: { host: "gitlab", fullName: repository.location, installationId: repository.hostInstallationId } };
    }
    return null;
  };
}
