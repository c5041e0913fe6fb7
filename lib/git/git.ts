import { execFile } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);

export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GitError";
  }
}

/** The environment git runs in: never waiting on a terminal prompt for credentials. */
export function gitEnvironment(): NodeJS.ProcessEnv {
  // process.env on purpose: git gets this process's environment (HOME, proxies, SSH agent) to run in.
  return { ...process.env, GIT_TERMINAL_PROMPT: "0" };
}

/** Runs real git in a repository; failures become a GitError with git's own message. */
export async function git(cwd: string, args: string[], options: { maxBuffer?: number } = {}): Promise<string> {
  try {
    const { stdout } = await exec("git", args, { cwd, maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024, env: gitEnvironment() });
    return stdout;
  } catch (err) {
    const error = err as { stderr?: string; message: string; code?: string };
    if (error.code === "ENOBUFS" || /maxBuffer/.test(error.message)) throw new GitError("the diff is larger than the limit");
    throw new GitError((error.stderr || error.message).trim().split("\n")[0]);
  }
}

export async function isGitRepository(path: string): Promise<boolean> {
  try {
    await git(path, ["rev-parse", "--git-dir"]);
    return true;
  } catch {
    return false;
  }
}

/** The diff a pull request from `head` into `base` would merge (changes since the merge base). */
export async function diffBetween(repoPath: string, base: string, head: string, maxBytes: number) {
  const [baseSha, headSha] = await Promise.all([
    git(repoPath, ["rev-parse", "--verify", `${base}^{commit}`]).then((s) => s.trim()),
    git(repoPath, ["rev-parse", "--verify", `${head}^{commit}`]).then((s) => s.trim()),
  ]);
  const diff = await git(repoPath, ["diff", "--no-color", "--no-ext-diff", "-M", `${baseSha}...${headSha}`], { maxBuffer: maxBytes + 1 });
  return { baseSha, headSha, diff };
}
