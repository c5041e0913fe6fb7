import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiError } from "@/lib/http/errors";
import { parseQuery } from "@/lib/http/route";

const schema = z.object({
  status: z.enum(["open", "closed"]).optional(),
  limit: z.coerce.number().int().min(1).default(10),
  runId: z.preprocess((v) => v, z.array(z.string()).optional()),
});

const parse = (query: string, s: z.ZodType = schema) => parseQuery(new URLSearchParams(query), s);

describe("parseQuery", () => {
  it("gives single values, arrays where the schema says array, and drops empty parameters", () => {
    expect(parse("status=open&limit=5&runId=a&runId=b&runId=")).toEqual({ status: "open", limit: 5, runId: ["a", "b"] });
    expect(parse("runId=a")).toEqual({ limit: 10, runId: ["a"] });
    expect(parse("status=&limit=")).toEqual({ limit: 10 });
    expect(parse("status=open&status=closed")).toEqual({ status: "open", limit: 10 });
  });

  it("reports invalid values as a 422 naming the fields", () => {
    let thrown: unknown;
    try {
      parse("status=exploded&limit=0");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown).toMatchObject({ code: "validation_failed", status: 422, message: "The request has invalid fields" });
    expect((thrown as ApiError).fields?.map((f) => f.path).sort()).toEqual(["limit", "status"]);
  });

  it("reads the arrays of the option a discriminated union picks", () => {
    const union = z.discriminatedUnion("format", [
      z.object({ format: z.literal("pdf"), runId: z.string().optional() }),
      z.object({ format: z.literal("csv"), runId: z.array(z.string()).optional() }),
    ]);
    expect(parse("format=pdf&runId=a", union)).toEqual({ format: "pdf", runId: "a" });
    expect(parse("format=csv&runId=a", union)).toEqual({ format: "csv", runId: ["a"] });
  });
});
