/**
 * The error domain code throws: what went wrong, not how a transport reports it. The HTTP layer
 * (lib/http/errors.ts toApiError) maps the kind to a status and an error code; the CLI prints the
 * message. No imports: anything may throw it, including code that runs outside a request.
 */
export type DomainErrorKind =
  /** The input is wrong (HTTP 422 validation_failed); `fields` names the inputs at fault. */
  | "invalid"
  /** The thing asked for does not exist (404). */
  | "not_found"
  /** The request clashes with the current state: a duplicate, an escalation already decided (409). */
  | "conflict"
  /** The actor may not do this (403). */
  | "forbidden"
  /** The input is larger than the limit (413). */
  | "too_large"
  /** A precondition of the system is missing, such as the active policy (503). */
  | "unavailable";

export interface DomainFieldError {
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly fields?: DomainFieldError[],
  ) {
    super(message);
    this.name = "DomainError";
  }
}
