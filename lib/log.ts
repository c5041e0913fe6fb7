import pino from "pino";

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

export const log = pino({
  level: process.env.LOG_LEVEL || "info",
  base: { service: process.env.FLOWGATE_SERVICE ?? "flowgate" },
  redact: { paths: redactPaths, censor: "[redacted]" },
});

export type Logger = typeof log;
