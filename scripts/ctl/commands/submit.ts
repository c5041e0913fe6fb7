import { CLI_ACTOR, note, required, type DatabaseCommand } from "../support";

export const submit: DatabaseCommand = {
  name: "submit",
  usage: [
    "submit --repo <path-to-git-repo> --base <ref> --head <ref> [--title <t>] [--number <n>] [--author <a>]",
    "    Diffs base...head with git and submits the run; prints the run id.",
  ],
  options: {
    repo: { type: "string" },
    base: { type: "string" },
    head: { type: "string" },
    title: { type: "string" },
    number: { type: "string" },
    author: { type: "string" },
    description: { type: "string" },
  },
  async run({ db, values }) {
    const { submitWithGit } = await import("../../lib/submit-with-git");
    const result = await submitWithGit(db, {
      repoPath: required(values.repo as string | undefined, "repo"),
      base: required(values.base as string | undefined, "base"),
      head: required(values.head as string | undefined, "head"),
      title: values.title as string | undefined,
      number: values.number ? Number(values.number) : undefined,
      author: values.author as string | undefined,
      description: values.description as string | undefined,
      actor: CLI_ACTOR,
      note,
    });
    note(`${result.created ? "submitted" : "already submitted:"} run ${result.run.id} for ${result.run.repository} #${result.run.pullRequestNumber} (${result.run.status})`);
    process.stdout.write(`${result.run.id}\n`);
  },
};
