import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import type { Device } from "../llama/runtime.js";
import { UserError } from "../errors.js";
import type { Aggregation } from "./aggregate.js";
import type { ScoreDocument } from "./document.js";
import type { ScoreLayout } from "./layout.js";

export const DEFAULT_PRM = "Qwen/Qwen2.5-Math-PRM-7B";

/** Everything `runScore` needs; the CLI fills it from flags (names as the seed's). */
export interface ScoreOptions {
  dataFiles: string[];
  prmModel: string;
  thresholds: number[];
  aggregations: Aggregation[];
  /** Default: derived from the (first) data file and the PRM, beside the data file. */
  outputFile?: string;
  /** The seed's --no_quantization: F16 GGUF instead of the 4-bit stand-in Q4_K_M. */
  noQuantization: boolean;
  device: Device;
  threads?: number;
  /** GPUs to split the PRM's layers over (the first N visible; default 1). */
  tensorParallelSize?: number;
  /** Share of each GPU's memory the PRM and its KV cache may use (default 0.9). */
  gpuMemoryUtilization?: number;
  /** Override the PRM family (qwen-prm-head | plus-minus). */
  prmFamily?: string;
  /** The generator's GGUF (or model id) whose tokenizer τ counts in. */
  generatorModel?: string;
  /** Solutions in flight at once; default 16 on a GPU, 2 on the CPU (spread as layout.ts's defaultLayout). */
  parallel?: number;
  /** Contexts × sequences per context, e.g. "8x1" or {contexts: 8, sequences: 1}; overrides `parallel` (bench, tests). */
  layout?: ScoreLayout | string;
  /** CPU threads of each PRM context (default: the runtime's, shared among the contexts decoding at once). */
  contextThreads?: number;
  /** Flash attention in the PRM contexts (default: on with a GPU, off on the CPU; see context.ts). */
  flashAttention?: boolean;
  /** Replace an existing output made with other settings. */
  overwrite?: boolean;
  signal?: AbortSignal;
  modelsDir?: string;
}

function namePart(spec: string): string {
  const local = spec.toLowerCase().endsWith(".gguf") || existsSync(spec);
  return (local ? basename(spec, extname(spec)) : spec.replace(/^hf:/, "")).replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** `<data dir>/<data name>[+K_more]_<prm>_prm_scores.json`. */
export function defaultOutputFile(dataFiles: readonly string[], prmModel: string): string {
  const first = dataFiles[0];
  const more = dataFiles.length > 1 ? `+${dataFiles.length - 1}_more` : "";
  return join(dirname(first), `${basename(first, extname(first))}${more}_${namePart(prmModel)}_prm_scores.json`);
}

/** sha256 of a file's bytes (data files are tens of MB at most). */
export function fileDigest(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** sha256 of what decides the scores (never device, threads, parallelism or timings). */
export function fingerprintOf(settings: Record<string, unknown>): string {
  return createHash("sha256").update(JSON.stringify(settings)).digest("hex");
}

/**
 * An existing output to resume: undefined when there is none or `overwrite`; the same settings →
 * the document (its scored solutions are kept); other settings → UserError (never silently replaced).
 */
export function existingOutput(path: string, fingerprint: string, overwrite: boolean): ScoreDocument | undefined {
  if (overwrite || !existsSync(path)) return undefined;
  let doc: ScoreDocument;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UserError(`${path} exists but is not valid JSON (${(error as Error).message}); move it away or pass --overwrite`);
  }
  if (!doc?.metadata?.fingerprint || !Array.isArray(doc.files)) {
    throw new UserError(`${path} exists but is not a prm-rel score output; move it away or pass --overwrite`);
  }
  if (doc.metadata.fingerprint !== fingerprint) {
    throw new UserError(`${path} exists and was made with other settings (data, PRM, thresholds or aggregations); pass --overwrite or another --output_file`);
  }
  return doc;
}
