/**
 * `npm run ctl -- <command>`: administration from the shell. Works whether or not Flowgate is
 * running: it uses DATABASE_URL, or the embedded server of a running Flowgate on the same
 * FLOWGATE_DATA_DIR, or starts that server briefly. Messages go to stderr; stdout carries only
 * the command's result, so `TOKEN=$(npm run --silent ctl -- token create ...)` works.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { openDatabase } from "../lib/db/open-database";
import { StartupError } from "../lib/startup-error";
import { ensurePrismaClient, projectRoot } from "./lib/prepare";

const usage = `Usage: npm run ctl -- <command> [options]

  user create --email <email> --role <admin|reviewer|manager|auditor> [--name <name>]
      The password is prompted for, or read from stdin when it is not a terminal.
  user update --email <email> [--role <role>] [--disable | --enable] [--sign-out]
      Changes a role, disables or enables the account, or ends every session it has (audited).
  user list
  token create --user <email> --name <name> --scopes <scope,scope> [--expires-days <n>]
      Prints only the token. Scopes: runs:read, runs:write, escalations:read,
      escalations:decide, audit:read, metrics:read
  token list
  token revoke <token-id>
  repo add --name <name> --path <path-to-git-repo> [--default-branch main] [--test-preset <preset>]
  repo list
  repo test-settings --name <name> (--preset <preset> [--test-command <cmd>] [--install-command <cmd>]
      [--time-limit <seconds>] [--memory-limit <mb>] [--disk-limit <mb>] [--process-limit <n>]
      [--install-network none|egress] | --clear)
      How the test agent tests the repository. Presets: node-test, node-vitest, node-jest,
      python-pytest; a preset fills every field, options override it.
  repo deploy-settings --name <name> (--file <deploy.json> | --clear)
      How staging and the canary deploy it: targets, metric sources, smoke checks, the staging
      adjustment factor (see lib/repositories/deploy-settings.ts). Validated before it is saved.
  submit --repo <path-to-git-repo> --base <ref> --head <ref> [--title <t>] [--number <n>] [--author <a>]
      Diffs base...head with git and submits the run; prints the run id.
  runs                      recent runs with status and stage
  run <run-id>              one run's stages and decisions
  simulate-history [--days 210] [--prs-per-day 40] [--seed 1]
      Writes a simulated pipeline history (runs with stage timings, escalations and decisions,
      production deployments, rollbacks, incidents) for the metrics page, ending now. Its runs
      are marked simulated everywhere they appear.
  simulate-history --delete deletes every simulated run, pull request and repository
  audit verify-export <file> <manifest>
      Checks an audit export offline against its manifest and its own hash chain; needs no
      database. Exits 1 and lists the problems when the file is incomplete or was changed.
  audit verify [--full]     the chain from its newest checkpoint (or every event, --full); exits 1 if broken
  audit sample --from <iso> --to <iso> --n <count> [--seed <text>] --out <file.zip>
      Draws N changes of the period at random (seeded; the seed is printed and recorded) and
      writes their evidence as one zip: decision report PDF, events JSONL and manifest per change.
  audit anchor              writes the verified chain head to FLOWGATE_AUDIT_ANCHOR_FILE and/or
                            FLOWGATE_AUDIT_ANCHOR_WEBHOOK
  audit verify-anchors [--file <anchors.jsonl>]
      Compares the chain with every anchor in the file (default FLOWGATE_AUDIT_ANCHOR_FILE);
      exits 1 and names the anchors the chain no longer matches (a rewrite or a cut).
`;

const note = (line: string) => process.stderr.write(`${line}\n`);
const CLI_ACTOR = { type: "system", id: "ctl", label: "npm run ctl" } as const;

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  }
  const ask = (prompt: string) =>
    new Promise<string>((resolve) => {
      process.stderr.write(prompt);
      const stdin = process.stdin;
      stdin.setRawMode(true);
      stdin.resume();
      let answer = "";
      const onData = (data: Buffer) => {
        for (const char of data.toString("utf8")) {
          if (char === "\r" || char === "\n") {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off("data", onData);
            process.stderr.write("\n");
            resolve(answer);
            return;
          }
          if (char === "\u0003") process.exit(130);
          answer = char === "\u007f" ? answer.slice(0, -1) : answer + char;
        }
      };
      stdin.on("data", onData);
    });
  const password = await ask("Password: ");
  if ((await ask("Repeat password: ")) !== password) throw new StartupError("the passwords do not match");
  return password;
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new StartupError(`missing --${flag}\n\n${usage}`);
  return value;
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      email: { type: "string" },
      role: { type: "string" },
      disable: { type: "boolean" },
      enable: { type: "boolean" },
      "sign-out": { type: "boolean" },
      name: { type: "string" },
      user: { type: "string" },
      scopes: { type: "string" },
      "expires-days": { type: "string" },
      path: { type: "string" },
      "default-branch": { type: "string" },
      repo: { type: "string" },
      base: { type: "string" },
      head: { type: "string" },
      title: { type: "string" },
      number: { type: "string" },
      author: { type: "string" },
      description: { type: "string" },
      preset: { type: "string" },
      "test-preset": { type: "string" },
      "test-command": { type: "string" },
      "install-command": { type: "string" },
      "time-limit": { type: "string" },
      "memory-limit": { type: "string" },
      "disk-limit": { type: "string" },
      "process-limit": { type: "string" },
      "install-network": { type: "string" },
      clear: { type: "boolean" },
      days: { type: "string" },
      "prs-per-day": { type: "string" },
      seed: { type: "string" },
      delete: { type: "boolean" },
      from: { type: "string" },
      to: { type: "string" },
      n: { type: "string" },
      out: { type: "string" },
      full: { type: "boolean" },
      file: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [noun, verb, ...rest] = positionals;
  if (values.help || !noun) {
    process.stdout.write(usage);
    return;
  }
  // Single-word commands take their argument in the verb position (`run <id>`).
  const single = ["submit", "runs", "run", "simulate-history"].includes(noun);
  const command = single ? noun : `${noun} ${verb ?? ""}`.trim();
  if (single && verb) rest.unshift(verb);
  const known = ["user create", "user update", "user list", "token create", "token list", "token revoke", "repo add", "repo list", "repo test-settings", "repo deploy-settings", "submit", "runs", "run", "audit verify-export", "audit verify", "audit sample", "audit anchor", "audit verify-anchors", "simulate-history"];
  if (!known.includes(command)) throw new StartupError(`unknown command "${command}"\n\n${usage}`);
  // An auditor checks a file they were handed, possibly on a machine without Flowgate's data.
  if (command === "audit verify-export") return verifyExportFiles(rest);

  // Validate input before touching the database.
  const password = command === "user create" ? await readPassword() : undefined;

  await ensurePrismaClient(note);
  const dataDir = path.resolve(projectRoot, process.env.FLOWGATE_DATA_DIR || ".data");
  const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir, share: true, log: note });
  const { createPrismaClient } = await import("../lib/db/client");
  const db = createPrismaClient(database.databaseUrl);
  try {
    await runCommand(command, { db, databaseUrl: database.databaseUrl, values, rest, password });
  } finally {
    await db.$disconnect();
    await database.close();
  }
}

async function verifyExportFiles([file, manifestFile]: string[]) {
  if (!file || !manifestFile) throw new StartupError(`audit verify-export needs <file> and <manifest>\n\n${usage}`);
  const { verifyExport } = await import("../lib/audit/verify-export");
  const read = (target: string) => {
    try {
      return fs.readFileSync(target);
    } catch (err) {
      throw new StartupError(`cannot read ${target}: ${(err as Error).message}`);
    }
  };
  const contents = read(file);
  let manifest: unknown;
  try {
    manifest = JSON.parse(read(manifestFile).toString("utf8"));
  } catch (err) {
    if (err instanceof StartupError) throw err;
    throw new StartupError(`${manifestFile} is not JSON: ${(err as Error).message}`);
  }
  const result = verifyExport(contents, manifest);
  if (!result.ok) {
    process.stdout.write(`export NOT verified:\n${result.problems.map((p) => `  - ${p}\n`).join("")}`);
    process.exitCode = 1;
    return;
  }
  const range = result.rows > 0 ? `, sequences ${result.firstSequence}–${result.lastSequence}` : "";
  const kind = result.contiguous ? "" : " (not contiguous: each event's own hash checked)";
  process.stdout.write(`export verified: ${result.rows} events${range}${kind}, SHA-256 ${result.sha256}\n`);
}

type CommandContext = {
  db: import("../lib/db/client").Db;
  /** For the audit commands, which read the chain with COPY on a connection of their own. */
  databaseUrl: string;
  values: Record<string, string | boolean | undefined>;
  rest: string[];
  password?: string;
};

async function runCommand(command: string, { db, databaseUrl, values, rest, password }: CommandContext) {
  const { fieldErrors } = await import("../lib/http/errors");
  const { DomainError } = await import("../lib/errors");
  try {
    switch (command) {
      case "user create": {
        const { createUser, createUserSchema } = await import("../lib/users/create-user");
        const input = createUserSchema.parse({ email: values.email, role: values.role, name: values.name, password });
        const user = await createUser(db, { input, actor: CLI_ACTOR });
        note(`created ${user.role} ${user.email}`);
        process.stdout.write(`${user.id}\n`);
        return;
      }
      case "user update": {
        const { updateUser, updateUserSchema } = await import("../lib/users/update-user");
        const email = required(values.email as string | undefined, "email").toLowerCase();
        const user = await db.user.findUnique({ where: { email } });
        if (!user) throw new StartupError(`no user with email ${email} (see npm run ctl -- user list)`);
        const input = updateUserSchema.parse({
          role: values.role,
          disabled: values.disable ? true : values.enable ? false : undefined,
          signOutEverywhere: values["sign-out"] ? true : undefined,
        });
        const updated = await updateUser(db, { userId: user.id, input, actor: CLI_ACTOR });
        note(`${updated.email}: ${updated.role}${updated.disabledAt ? ", disabled" : ""}${input.signOutEverywhere ? ", every session ended" : ""}`);
        return;
      }
      case "user list": {
        const users = await db.user.findMany({ orderBy: { email: "asc" } });
        for (const u of users) process.stdout.write(`${u.email}\t${u.role}\t${u.name}${u.disabledAt ? "\tdisabled" : ""}\n`);
        return;
      }
      case "token create": {
        const { createApiToken, createTokenSchema } = await import("../lib/auth/api-tokens");
        const email = required(values.user as string | undefined, "user").toLowerCase();
        const user = await db.user.findUnique({ where: { email } });
        if (!user) throw new StartupError(`no user with email ${email}; create one with \`npm run ctl -- user create\``);
        const input = createTokenSchema.parse({
          name: values.name,
          scopes: String(values.scopes ?? "").split(",").map((s) => s.trim()).filter(Boolean),
          expiresInDays: values["expires-days"] ? Number(values["expires-days"]) : undefined,
        });
        const { token, record } = await createApiToken(db, { userId: user.id, input, actor: CLI_ACTOR });
        note(`created token ${record.id} (${record.scopes.join(", ")}) for ${email}; it is shown once`);
        process.stdout.write(`${token}\n`);
        return;
      }
      case "token list": {
        const { tokenListSelect } = await import("../lib/auth/api-tokens");
        const tokens = await db.apiToken.findMany({ orderBy: { createdAt: "desc" }, select: tokenListSelect });
        for (const t of tokens) {
          const state = t.revokedAt ? "revoked" : t.expiresAt && t.expiresAt < new Date() ? "expired" : "active";
          process.stdout.write(`${t.id}\t${t.tokenPrefix}…\t${t.user.email}\t${t.name}\t${t.scopes.join(",")}\t${state}\n`);
        }
        return;
      }
      case "repo add": {
        const { registerRepository } = await import("../lib/repositories/register-repository");
        const repository = await registerRepository(db, {
          input: {
            name: values.name as string,
            path: required(values.path as string | undefined, "path"),
            defaultBranch: (values["default-branch"] as string) || undefined,
            test: values["test-preset"] ? ({ preset: values["test-preset"] } as never) : undefined,
          },
          actor: CLI_ACTOR,
        });
        note(`registered ${repository.name} at ${repository.location}`);
        process.stdout.write(`${repository.id}\n`);
        return;
      }
      case "repo list": {
        const { testSettingsOf } = await import("../lib/repositories/test-settings");
        for (const r of await db.repository.findMany({ orderBy: { name: "asc" } })) {
          process.stdout.write(`${r.name}\t${r.kind}\t${r.location}\ttests: ${testSettingsOf(r.settings)?.preset ?? "not configured"}\n`);
        }
        return;
      }
      case "repo deploy-settings": {
        const { updateRepositorySettings } = await import("../lib/repositories/update-repository-settings");
        const name = required(values.name as string | undefined, "name");
        const repository = await db.repository.findUnique({ where: { name } });
        if (!repository) throw new StartupError(`no repository named ${name} (see npm run ctl -- repo list)`);
        let deploy: unknown = null;
        if (!values.clear) {
          const file = required(values.file as string | undefined, "file");
          try {
            deploy = JSON.parse(fs.readFileSync(file, "utf8"));
          } catch (err) {
            throw new StartupError(`could not read ${file} as JSON: ${(err as Error).message}`);
          }
        }
        await updateRepositorySettings(db, { repositoryId: repository.id, input: { deploy: deploy as never }, actor: CLI_ACTOR });
        note(deploy ? `${name}: deploy settings saved` : `${name}: deploy settings cleared (simulated target and metrics)`);
        return;
      }
      case "repo test-settings": {
        const { updateRepositorySettings } = await import("../lib/repositories/update-repository-settings");
        const name = required(values.name as string | undefined, "name");
        const repository = await db.repository.findUnique({ where: { name } });
        if (!repository) throw new StartupError(`no repository named ${name} (see npm run ctl -- repo list)`);
        const optionalNumber = (flag: "time-limit" | "memory-limit" | "disk-limit" | "process-limit") => (values[flag] === undefined ? undefined : Number(values[flag]));
        const test = values.clear
          ? null
          : {
              preset: required(values.preset as string | undefined, "preset"),
              testCommand: values["test-command"] as string | undefined,
              installCommand: values["install-command"] as string | undefined,
              timeLimitSeconds: optionalNumber("time-limit"),
              memoryLimitMb: optionalNumber("memory-limit"),
              diskLimitMb: optionalNumber("disk-limit"),
              processLimit: optionalNumber("process-limit"),
              installNetwork: values["install-network"] as string | undefined,
            };
        await updateRepositorySettings(db, { repositoryId: repository.id, input: { test: test as never }, actor: CLI_ACTOR });
        note(test ? `${name}: tests run with the ${test.preset} preset` : `${name}: test settings cleared`);
        return;
      }
      case "submit": {
        const { submitWithGit } = await import("./lib/submit-with-git");
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
        return;
      }
      case "runs": {
        const runs = await db.pipelineRun.findMany({ orderBy: { createdAt: "desc" }, take: 50, include: { pullRequest: { include: { repository: true } } } });
        if (runs.length === 0) note("no runs yet: submit one with `npm run ctl -- submit --repo <path> --base main --head <branch>`");
        for (const r of runs) {
          process.stdout.write(
            `${r.id}\t${r.pullRequest.repository.name}#${r.pullRequest.number}\t${r.status}\t${r.currentStage ?? "-"}\trisk ${r.riskScore ?? "-"}\t${r.pullRequest.title}\n`,
          );
        }
        return;
      }
      case "run": {
        const { loadRunDetailOrThrow } = await import("../lib/runs/run-detail");
        const { run } = await loadRunDetailOrThrow(db, required(rest[0], "run id"));
        process.stdout.write(`${run.pullRequest.repository.name} #${run.pullRequest.number} ${run.pullRequest.title}\n`);
        process.stdout.write(`status ${run.status}, stage ${run.currentStage ?? "-"}, risk ${run.riskScore ?? "-"}, policy v${run.policy.version}\n`);
        for (const stage of run.stageRuns) {
          process.stdout.write(`  ${stage.stage} #${stage.attempt}\t${stage.status}\t${stage.summary ?? ""}\n`);
        }
        for (const d of run.decisions) process.stdout.write(`  decision ${d.agent} (${d.provider}${d.model ? ` ${d.model}` : ""}): ${d.rationale.split("\n")[0]}\n`);
        return;
      }
      case "simulate-history": {
        const { simulateHistoryCommand } = await import("./lib/simulate-history-command");
        await simulateHistoryCommand(db, { values, actor: CLI_ACTOR, note });
        return;
      }
      case "audit verify": {
        const status = values.full
          ? await (async () => {
              const { startFullVerification } = await import("../lib/audit/run-full-verification");
              const started = await startFullVerification(db, { requestedBy: CLI_ACTOR, databaseUrl: databaseUrl });
              const run = started.finished ? await started.finished : started.verification;
              return { ok: run.status === "verified", verifiedThrough: run.verifiedThrough, eventsChecked: run.eventsChecked, problem: run.broken?.description ?? run.error };
            })()
          : await (async () => {
              const { verifyFromCheckpoint } = await import("../lib/audit/verify-from-checkpoint");
              const report = await verifyFromCheckpoint(db, { databaseUrl: databaseUrl });
              return { ok: report.ok, verifiedThrough: report.verifiedThrough, eventsChecked: report.eventsChecked, problem: report.broken?.description ?? null };
            })();
        process.stdout.write(
          status.ok
            ? `chain verified through event ${status.verifiedThrough ?? "(empty log)"} (${status.eventsChecked} events hashed${values.full ? "" : " since the last checkpoint"})\n`
            : `chain NOT verified: ${status.problem}\n`,
        );
        if (!status.ok) process.exitCode = 1;
        return;
      }
      case "audit sample": {
        const { createSampleBundle, sampleQuerySchema } = await import("../lib/audit/sample-changes");
        const out = required(values.out as string | undefined, "out");
        const query = sampleQuerySchema.parse({ from: values.from, to: values.to, n: values.n, seed: values.seed || undefined });
        const bundle = await createSampleBundle(db, query, CLI_ACTOR, { databaseUrl: databaseUrl });
        fs.writeFileSync(out, bundle.bytes);
        note(`sampled ${bundle.manifest.changes.length} of ${bundle.manifest.population} changes with seed "${bundle.manifest.seed}"; SHA-256 ${bundle.sha256}`);
        process.stdout.write(`${out}\n`);
        return;
      }
      case "audit anchor": {
        const { anchorChainHead } = await import("../lib/audit/anchor-chain-head");
        const { auditAnchorEnvSchema, parseEnv } = await import("../lib/env");
        const config = parseEnv(auditAnchorEnvSchema);
        const outcome = await anchorChainHead(db, { file: config.FLOWGATE_AUDIT_ANCHOR_FILE, webhook: config.FLOWGATE_AUDIT_ANCHOR_WEBHOOK }, { databaseUrl: databaseUrl });
        if (!outcome.anchored) throw new StartupError(`not anchored: ${outcome.reason}`);
        for (const sink of outcome.sinks) note(`${sink.ok ? "anchored to" : "FAILED to anchor to"} ${sink.sink}${sink.error ? `: ${sink.error}` : ""}`);
        process.stdout.write(`${JSON.stringify(outcome.anchor)}\n`);
        if (outcome.sinks.some((s) => !s.ok)) process.exitCode = 1;
        return;
      }
      case "audit verify-anchors": {
        const { readAnchorFile, verifyAnchors } = await import("../lib/audit/anchor-chain-head");
        const file = (values.file as string | undefined) || process.env.FLOWGATE_AUDIT_ANCHOR_FILE;
        if (!file) throw new StartupError("audit verify-anchors needs --file or FLOWGATE_AUDIT_ANCHOR_FILE");
        const check = await verifyAnchors(db, readAnchorFile(file));
        if (check.ok) process.stdout.write(`chain matches all ${check.anchors} anchors (latest: event ${check.confirmedThrough ?? "-"})\n`);
        else {
          process.stdout.write(`chain does NOT match its anchors:\n${check.problems.map((p) => `  - ${p.description}\n`).join("")}`);
          process.exitCode = 1;
        }
        return;
      }
      case "token revoke": {
        const { revokeApiTokenOrThrow } = await import("../lib/auth/api-tokens");
        const record = await revokeApiTokenOrThrow(db, { tokenId: required(rest[0], "token id"), actor: CLI_ACTOR });
        note(`revoked token ${record.id} (${record.name})`);
        return;
      }
    }
  } catch (err) {
    if (err instanceof z.ZodError) {
      throw new StartupError(fieldErrors(err).map((f) => `--${f.path}: ${f.message}`).join("; "));
    }
    if (err instanceof DomainError) throw new StartupError(err.message);
    throw err;
  }
}

main().catch((err) => {
  note(`flowgate ctl: ${err instanceof StartupError ? err.message : ((err as Error).stack ?? String(err))}`);
  process.exit(1);
});
