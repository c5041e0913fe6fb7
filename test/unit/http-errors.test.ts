import { describe, expect, it } from "vitest";
import { DomainError, type DomainErrorKind } from "@/lib/errors";
import { ApiError, toApiError } from "@/lib/http/errors";

describe("toApiError", () => {
  it.each<[DomainErrorKind, string, number]>([
    ["invalid", "validation_failed", 422],
    ["not_found", "not_found", 404],
    ["conflict", "conflict", 409],
    ["forbidden", "forbidden", 403],
    ["too_large", "payload_too_large", 413],
    ["unavailable", "unavailable", 503],
  ])("reports a %s domain error as %s (%i) with its message and fields", (kind, code, status) => {
    const fields = [{ path: "diff", message: "too big" }];
    const apiError = toApiError(new DomainError(kind, "what went wrong", fields));
    expect(apiError).toBeInstanceOf(ApiError);
    expect(apiError).toMatchObject({ code, status, message: "what went wrong", fields });
  });

  it("passes an ApiError through and leaves anything else to the 500 handler", () => {
    const apiError = new ApiError("bad_request", "nope");
    expect(toApiError(apiError)).toBe(apiError);
    expect(toApiError(new Error("boom"))).toBeNull();
  });
});
