/** A coverage report that cannot be read: the message names the format, the place and the fault. */
export class CoverageParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CoverageParseError";
  }
}
