import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { UserError } from "../errors.js";
import * as v from "valibot";
import { GenFile, type GenProblem } from "./schema.js";

/**
 * One part of the output file name: a hub id or URI with `/` (and other characters unsafe in file
 * names) turned into `_` — `MathArena/aime_2025` → `MathArena_aime_2025`, as the seed names it —
 * or, for a local file, its base name without the extension.
 */
export function namePart(spec: string, localExtensions: readonly string[]): string {
  const isLocal = existsSync(spec) || localExtensions.includes(extname(spec).toLowerCase());
  const raw = isLocal ? basename(spec, extname(spec)) : spec.replace(/^hf:/, "");
  return raw.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** `<dataset>_<model>_N<N>.json`, the seed's name: `MathArena_aime_2025_Qwen_Qwen2.5-7B-Math-Instruct_N64.json`. */
export function outputFileName(dataset: string, modelName: string, n: number): string {
  return `${namePart(dataset, [".json", ".jsonl", ".csv", ".parquet"])}_${namePart(modelName, [".gguf"])}_N${n}.json`;
}

/** JSON with object keys sorted, so a fingerprint does not depend on key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** sha256 of everything that decides the results (never timings, device or batch width). */
export function fingerprintOf(settings: Record<string, unknown>): string {
  return createHash("sha256").update(canonical(settings)).digest("hex");
}

export interface ExistingOutput {
  fingerprint?: string;
  complete: boolean;
  /** Timings of the runs that wrote it (carried over when resuming). */
  sessions: unknown[];
  results: GenProblem[];
}

/**
 * What an existing output holds, for resuming; undefined when there is none. A file that is not a
 * gen output (unreadable, not JSON, wrong shape) is a UserError, so it is never silently replaced
 * — unless `overwrite`, where it is treated as absent.
 */
export function readExistingOutput(path: string, overwrite: boolean): ExistingOutput | undefined {
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    if (overwrite) return undefined;
    throw new UserError(`${path} exists but is not valid JSON (${(error as Error).message}); move it away or pass --overwrite`);
  }
  const parsed = v.safeParse(GenFile, json);
  if (!parsed.success) {
    if (overwrite) return undefined;
    throw new UserError(`${path} exists but is not a prm-rel gen output; move it away or pass --overwrite`);
  }
  const metadata = parsed.output.metadata as Record<string, any>;
  const sessions = metadata.timings?.sessions;
  return {
    fingerprint: typeof metadata.fingerprint === "string" ? metadata.fingerprint : undefined,
    complete: metadata.complete === true,
    sessions: Array.isArray(sessions) ? sessions : [],
    // The file's own objects (not valibot's copies), so a resumed file keeps them byte for byte.
    results: (json as { results: GenProblem[] }).results,
  };
}
