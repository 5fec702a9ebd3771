import * as v from "valibot";
import { UserError } from "../errors.js";

/**
 * Parse `value` with a valibot schema; on failure throw a one-line UserError naming `what` and
 * each issue's path, so the user learns which field of which file is wrong.
 */
export function parseOrThrow<S extends v.GenericSchema>(schema: S, value: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const issues = result.issues.slice(0, 3).map((issue) => {
    const path = v.getDotPath(issue);
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw new UserError(`${what}: ${issues.join("; ")}`);
}
