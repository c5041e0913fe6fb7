/**
 * `npm run ctl -- <command>`: administration from the shell. Works whether or not Flowgate is
 * running: it uses DATABASE_URL, or the embedded server of a running Flowgate on the same
 * FLOWGATE_DATA_DIR, or starts that server briefly. Messages go to stderr; stdout carries only
 * the command's result, so `TOKEN=$(npm run --silent ctl -- token create ...)` works.
 *
 * The commands are in scripts/ctl/commands/, one file each; this file parses the command line,
 * finds the command in the table, prints the help the table makes, and runs it.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { openDatabase } from "../lib/db/open-database";
import { parseEnv, startEnvSchema } from "../lib/env";
import { StartupError } from "../lib/startup-error";
import { commands } from "./ctl/commands";
import { note, UsageError, type CommandArgs, type CtlCommand, type CtlOption, type Values } from "./ctl/support";
import { ensurePrismaClient, projectRoot } from "./lib/prepare";

const usage = `Usage: npm run ctl -- <command> [options]\n\n${commands.flatMap((command) => command.usage.map((line) => `  ${line}\n`)).join("")}`;

/** The options of every command: a command ignores the ones it does not read. */
function allOptions(): Record<string, CtlOption> {
  const options: Record<string, CtlOption> = {};
  for (const command of commands) {
    for (const [name, option] of Object.entries(command.options ?? {})) {
      if (options[name] && options[name].type !== option.type) throw new Error(`ctl: option --${name} is a ${options[name].type} in one command and a ${option.type} in another`);
      options[name] = option;
    }
  }
  return { ...options, help: { type: "boolean", short: "h" } };
}

async function main() {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: allOptions() });
  const [noun, verb, ...rest] = positionals;
  if (values.help || !noun) {
    process.stdout.write(usage);
    return;
  }
  // Single-word commands take their argument in the verb position (`run <id>`).
  const single = commands.some((command) => command.name === noun);
  const name = single ? noun : `${noun} ${verb ?? ""}`.trim();
  if (single && verb) rest.unshift(verb);
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) throw new UsageError(`unknown command "${name}"`);
  const args: CommandArgs = { values: values as Values, rest };
  if (command.database === false) return command.run(args);
  await runWithDatabase(command, args);
}

async function runWithDatabase(command: Exclude<CtlCommand, { database: false }>, args: CommandArgs) {
  const input = (await command.ask?.(args)) ?? {};

  await ensurePrismaClient(note);
  const config = parseEnv(startEnvSchema.pick({ DATABASE_URL: true, FLOWGATE_DATA_DIR: true }));
  const dataDir = path.resolve(projectRoot, config.FLOWGATE_DATA_DIR);
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir, share: true, log: note });
  const { createPrismaClient } = await import("../lib/db/client");
  const db = createPrismaClient(database.databaseUrl);
  try {
    const { fieldErrors } = await import("../lib/http/errors");
    const { DomainError } = await import("../lib/errors");
    try {
      await command.run({ ...args, db, databaseUrl: database.databaseUrl, input });
    } catch (err) {
      if (err instanceof z.ZodError) {
        throw new StartupError(fieldErrors(err).map((f) => `--${f.path}: ${f.message}`).join("; "));
      }
      if (err instanceof DomainError) throw new StartupError(err.message);
      throw err;
    }
  } finally {
    await db.$disconnect();
    await database.close();
  }
}

main().catch((err) => {
  const message = err instanceof UsageError ? `${err.message}\n\n${usage}` : err instanceof StartupError ? err.message : ((err as Error).stack ?? String(err));
  note(`flowgate ctl: ${message}`);
  process.exit(1);
});
