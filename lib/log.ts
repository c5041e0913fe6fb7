import pino from "pino";
import { envVarOrDefault } from "./env";

// Secrets never reach a log line: these paths are censored wherever they appear.
const redactPaths = [
  "password",
  "passwordHash",
  "token",
  "tokenHash",
  "authorization",
  "cookie",
  "apiKey",
  "secret",
  "*.password",
  "*.passwordHash",
  "*.token",
  "*.tokenHash",
  "*.authorization",
  "*.cookie",
  "*.apiKey",
  "*.secret",
  "headers.authorization",
  "headers.cookie",
];

// Read at import, before anything validates the environment: a malformed value falls back to the
// default here (env() at startup names it), so importing the log never throws.
export const log = pino({
  level: envVarOrDefault("LOG_LEVEL"),
  base: { service: envVarOrDefault("FLOWGATE_SERVICE") },
  redact: { paths: redactPaths, censor: "[redacted]" },
});

export type Logger = typeof log;
