import { ZodError } from "zod";
import { DomainError, type DomainErrorKind } from "../errors";

/** The closed set of API error codes and the status each maps to. */
export const errorStatus = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  validation_failed: 422,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: FieldError[],
  ) {
    super(message);
    this.name = "ApiError";
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export function fieldErrors(error: ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.join(".") || "(body)", message: issue.message }));
}

/** The one error shape every API response uses; the browser's fetch helper (components/ui/api.ts) reads it. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; fields?: FieldError[] };
}

export function errorBody(code: ErrorCode, message: string, fields?: FieldError[]): ErrorBody {
  return { error: { code, message, ...(fields ? { fields } : {}) } };
}

export function errorResponse(error: ApiError, headers?: HeadersInit): Response {
  return Response.json(errorBody(error.code, error.message, error.fields), { status: error.status, headers });
}

/** The HTTP error code each kind of domain error is reported as. */
const domainErrorCode: Record<DomainErrorKind, ErrorCode> = {
  invalid: "validation_failed",
  not_found: "not_found",
  conflict: "conflict",
  forbidden: "forbidden",
  too_large: "payload_too_large",
  unavailable: "unavailable",
};

/** Converts anything thrown into an ApiError, or null when it is unexpected (a 500). */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof DomainError) return new ApiError(domainErrorCode[error.kind], error.message, error.fields);
  if (error instanceof ZodError) return new ApiError("validation_failed", "The request has invalid fields", fieldErrors(error));
  return null;
}
