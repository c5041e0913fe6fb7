import { gitDirOf } from "../../lib/repositories/git-dir";
import { derivedProfile, profileForRun, profileIn } from "../targets/profile";
import { simulationSeed } from "../targets/simulated-service";
import type { DeployContext, Environment } from "../targets/types";
import type { StageContext } from "../engine/stage-agent";

/** What a deploy target and a metric source know of the run they deploy. */
export async function deployContextFor(context: StageContext, environment: Environment): Promise<DeployContext> {
  const { run } = context;
  const repository = run.pullRequest.repository;
  // The head's files are in the repository's own directory, or in a code host's cache; a remote
  // repository has no copy here, and its profile is derived from the run.
  const gitDir = gitDirOf(repository);
  const profile = gitDir ? await profileForRun({ repositoryPath: gitDir, headSha: run.headSha, runId: run.id }) : derivedProfile(run.id);
  return {
    runId: run.id,
    repository: repository.name,
    pullRequestNumber: run.pullRequest.number,
    headSha: run.headSha,
    environment,
    variables: {
      FLOWGATE_RUN_ID: run.id,
      FLOWGATE_REPOSITORY: repository.name,
      FLOWGATE_PULL_REQUEST: String(run.pullRequest.number),
      FLOWGATE_HEAD_SHA: run.headSha,
      FLOWGATE_BASE_SHA: run.baseSha,
      FLOWGATE_ENVIRONMENT: environment,
    },
    profile: profileIn(profile, environment),
    seed: simulationSeed(run.id, environment),
  };
}
