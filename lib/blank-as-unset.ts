import { z } from "zod";

/**
 * A blank value (null, an empty or whitespace-only string) reads as unset, so the schema's default
 * or optionality applies: an empty form field, `?bucket=` and `LOG_LEVEL=` all mean "not given".
 * The one helper for configuration, query strings and form bodies.
 */
export function blankAsUnset<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null || (typeof value === "string" && value.trim() === "") ? undefined : value), schema);
}
