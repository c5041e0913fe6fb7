/**
 * What the ctl commands share: the command shape the table in commands/index.ts holds, the actor
 * they record, and the stderr note (stdout carries only a command's result).
 */
import type { Db } from "../../lib/db/client";
import { StartupError } from "../../lib/startup-error";

export const note = (line: string) => process.stderr.write(`${line}\n`);
export const CLI_ACTOR = { type: "system", id: "ctl", label: "npm run ctl" } as const;

/** A mistake in the command line; reported with the usage below it. */
export class UsageError extends StartupError {}

export function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`missing --${flag}`);
  return value;
}

/** An option as node:util parseArgs takes it. */
export interface CtlOption {
  type: "string" | "boolean";
  short?: string;
}

export type Values = Record<string, string | boolean | undefined>;

export interface CommandArgs {
  /** Every option of the command line, parsed (the options of all commands are accepted). */
  values: Values;
  /** Positional arguments after the command's name (`run <run-id>`). */
  rest: string[];
}

export interface DatabaseArgs extends CommandArgs {
  db: Db;
  /** For the audit commands, which read the chain with COPY on a connection of their own. */
  databaseUrl: string;
  /** What `ask` read before the database was opened. */
  input: Record<string, string>;
}

interface CommandBase {
  /** One or two words: `runs`, `user create`. */
  name: string;
  /** The command's lines in the help, without their two-space indent. */
  usage: string[];
  /** The options it reads; parseArgs accepts the options of every command. */
  options?: Record<string, CtlOption>;
}

/** Runs without a database: an auditor checks a file they were handed, possibly on a machine without Flowgate's data. */
export interface OfflineCommand extends CommandBase {
  database: false;
  run(args: CommandArgs): Promise<void>;
}

export interface DatabaseCommand extends CommandBase {
  database?: true;
  /** Reads input from the person before the database is opened (user create's password). */
  ask?(args: CommandArgs): Promise<Record<string, string>>;
  run(args: DatabaseArgs): Promise<void>;
}

export type CtlCommand = OfflineCommand | DatabaseCommand;
