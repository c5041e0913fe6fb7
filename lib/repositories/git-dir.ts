import { isCodeHostKind } from "../code-host/code-host";
import { repositoryCacheFor } from "../code-host/git/repository-cache";
import { envVarOrDefault } from "../env";

/**
 * Where a repository's commits are on this machine, for the stages that read files: a local
 * repository's own directory, or a code-host repository's bare cache (intake fetched the pull
 * request's head into it). Null for a remote repository, which is fetched per workspace.
 */
export function gitDirOf(
  repository: { kind: string; location: string; hostInstallationId?: string | null },
  dataDir: string = envVarOrDefault("FLOWGATE_DATA_DIR"),
): string | null {
  if (repository.kind === "local") return repository.location;
  if (isCodeHostKind(repository.kind)) {
    return repositoryCacheFor(dataDir, { host: repository.kind, fullName: repository.location, installationId: repository.hostInstallationId ?? "" }).gitDir;
  }
  return null;
}
