import { createConsola } from "consola";

/**
 * The one logger: everything human-facing but not a result goes to stderr, so stdout stays
 * clean for tables and `--json` documents that other programs read.
 */
export const log = createConsola({
  level: process.env.PRM_REL_LOG_LEVEL ? Number(process.env.PRM_REL_LOG_LEVEL) : 3,
  stdout: process.stderr,
  stderr: process.stderr,
});
