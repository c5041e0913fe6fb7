/**
 * A failure the operator can fix, reported as one line without a stack trace
 * (a port in use, an unreachable database, a malformed variable).
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}
