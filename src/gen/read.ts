import { readFileSync } from "node:fs";
import { UserError } from "../errors.js";
import { parseOrThrow } from "../util/validate.js";
import { GenFile } from "./schema.js";

/** Read and validate a `prm-rel gen` data file; errors name the file and the wrong field. */
export function readGenFile(path: string): GenFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UserError(`data file ${path} does not exist; pass the JSON file \`prm-rel gen\` wrote (it prints its path)`);
    throw new UserError(`cannot read data file ${path}: ${code ?? error}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`data file ${path} is not valid JSON (${(error as Error).message}); pass a file written by \`prm-rel gen\``);
  }
  return parseOrThrow(GenFile, json, `data file ${path} is not in the gen format`);
}
