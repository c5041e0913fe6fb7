import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { envVar, envVarOrDefault, parseEnv, runtimeEnvSchema, startEnvSchema } from "@/lib/env";
import { StartupError } from "@/lib/startup-error";

const valid = {
  DATABASE_URL: "postgresql://u:p@127.0.0.1:5432/flowgate",
  NEXTAUTH_SECRET: "x".repeat(40),
};

function failure(source: Record<string, string>, schema: z.ZodType = runtimeEnvSchema) {
  try {
    parseEnv(schema, source);
  } catch (err) {
    expect(err).toBeInstanceOf(StartupError);
    return (err as Error).message;
  }
  throw new Error("expected parseEnv to fail");
}

describe("environment validation", () => {
  it("accepts a valid environment and fills defaults", () => {
    const env = parseEnv(runtimeEnvSchema, valid);
    expect(env.FLOWGATE_DATA_DIR).toBe(".data");
    expect(env.SESSION_MAX_AGE_HOURS).toBe(12);
    expect(env.ANTHROPIC_API_KEY).toBeUndefined();
  });

  it("names a missing variable in one line", () => {
    expect(failure({ NEXTAUTH_SECRET: valid.NEXTAUTH_SECRET })).toBe("environment variable DATABASE_URL is required but not set");
  });

  it("treats an empty string as missing", () => {
    expect(failure({ ...valid, DATABASE_URL: "" })).toBe("environment variable DATABASE_URL is required but not set");
  });

  it("explains a malformed value", () => {
    expect(failure({ ...valid, DATABASE_URL: "mysql://nope" })).toMatch(/^environment variable DATABASE_URL must look like postgresql:\/\//);
    expect(failure({ ...valid, NEXTAUTH_SECRET: "short" })).toBe("environment variable NEXTAUTH_SECRET must be at least 32 characters");
    expect(failure({ PORT: "99999" }, startEnvSchema)).toMatch(/^environment variable PORT /);
  });

  it("lets npm start run without DATABASE_URL (embedded mode)", () => {
    expect(parseEnv(startEnvSchema, {}).DATABASE_URL).toBeUndefined();
    expect(parseEnv(startEnvSchema, { DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
  });

  it("reads one variable without the others (the CLI has no session secret)", () => {
    expect(envVar("FLOWGATE_BCRYPT_COST", {})).toBe(12);
    expect(envVar("FLOWGATE_BCRYPT_COST", { FLOWGATE_BCRYPT_COST: "8" })).toBe(8);
    expect(envVar("NEXTAUTH_URL", { NEXTAUTH_URL: "" })).toBeUndefined();
    expect(() => envVar("FLOWGATE_BCRYPT_COST", { FLOWGATE_BCRYPT_COST: "cheap" })).toThrow(/^environment variable FLOWGATE_BCRYPT_COST /);
  });

  it("reads a malformed variable as its default where nothing may throw (the log at import)", () => {
    expect(envVarOrDefault("LOG_LEVEL", { LOG_LEVEL: "loud" })).toBe("info");
    expect(envVarOrDefault("LOG_LEVEL", { LOG_LEVEL: "warn" })).toBe("warn");
    expect(envVarOrDefault("FLOWGATE_SERVICE", {})).toBe("flowgate");
  });
});
