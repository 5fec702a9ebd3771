import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, resolve } from "node:path";
import { UserError } from "../errors.js";
import { fetchHubSplit, isHubDatasetId } from "./hub.js";
import { DATASET_EXTENSIONS, readParquet, readRecords, type RawRecord } from "./readers.js";
import { toProblemRows, type ProblemRow } from "./rows.js";

export type { ProblemRow } from "./rows.js";
export { selectProblems, type ProblemSelection } from "./select.js";

export interface DatasetSource {
  kind: "hub" | "file";
  /** Hub dataset id, or the local file's absolute path. */
  id: string;
  /** Repo paths of the split's parquet files (hub), or the local file. */
  files: string[];
  /** sha256 of the data files' bytes concatenated in `files` order (= the file's sha256 for one file). */
  sha256?: string;
}

export interface LoadProblemsOptions {
  /** A hub dataset id (`MathArena/aime_2025`) or a local .json/.jsonl/.parquet/.csv path. */
  dataset: string;
  /** Hub split (`train`); ignored for local files. */
  split: string;
  /** Cache root (default `$PRM_REL_CACHE`, else `<project>/models/cache`); datasets go in `datasets/<owner>/<name>/`. */
  cacheDir?: string;
  /** Hub endpoint (default `$HF_ENDPOINT`, else https://huggingface.co). */
  endpoint?: string;
  /** Hub token (default `$HF_TOKEN`); sent only to the endpoint, never printed or stored. */
  token?: string;
  onProgress?: (msg: string) => void;
}

/** A local path is anything that exists on disk or carries a dataset file extension. */
function isLocal(dataset: string): boolean {
  return existsSync(dataset) || (DATASET_EXTENSIONS as readonly string[]).includes(extname(dataset).toLowerCase());
}

function sha256Of(paths: string[]): string {
  const hash = createHash("sha256");
  for (const p of paths) hash.update(readFileSync(p));
  return hash.digest("hex");
}

/**
 * Load a dataset's problems from the hub (the split's parquet files, downloaded into the cache,
 * reused offline) or from a local file, and map rows to {index, question, gold}.
 * @example const { source, rows } = await loadProblems({ dataset: "MathArena/aime_2025", split: "train" });
 */
export async function loadProblems(opts: LoadProblemsOptions): Promise<{ source: DatasetSource; rows: ProblemRow[] }> {
  const warn = (msg: string) => opts.onProgress?.(msg);
  if (isLocal(opts.dataset)) {
    const path = resolve(opts.dataset);
    if (!existsSync(path)) throw new UserError(`dataset file not found: ${path}`);
    if (statSync(path).isDirectory()) {
      throw new UserError(`dataset ${path} is a directory; pass one ${DATASET_EXTENSIONS.join("/")} file`);
    }
    const records = await readRecords(path);
    const rows = toProblemRows(records, `dataset ${path}`, warn);
    return { source: { kind: "file", id: path, files: [path], sha256: sha256Of([path]) }, rows };
  }
  if (!isHubDatasetId(opts.dataset)) {
    throw new UserError(
      `dataset "${opts.dataset}" is neither a local file nor a Hugging Face id like "MathArena/aime_2025"`,
    );
  }
  const split = await fetchHubSplit(opts.dataset, opts.split, opts);
  const records: RawRecord[] = [];
  for (const f of split.files) records.push(...(await readParquet(readFileSync(f.local), `dataset ${opts.dataset} (${f.path})`)));
  const rows = toProblemRows(records, `dataset ${opts.dataset} split "${opts.split}"`, warn);
  const locals = split.files.map((f) => f.local);
  return {
    source: { kind: "hub", id: opts.dataset, files: split.files.map((f) => f.path), sha256: sha256Of(locals) },
    rows,
  };
}
