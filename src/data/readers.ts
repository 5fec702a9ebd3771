import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { UserError } from "../errors.js";
import { csvObjects } from "./csv.js";

/** File formats a local dataset may have, by extension. */
export const DATASET_EXTENSIONS = [".json", ".jsonl", ".parquet", ".csv"] as const;

export type RawRecord = Record<string, unknown>;

/**
 * int64 parquet columns arrive as bigint: a safe integer becomes a number (as pandas/JSON would
 * give), anything larger a decimal string so no digit is lost. Nested values are converted too.
 */
export function plainValue(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (Array.isArray(value)) return value.map(plainValue);
  if (value !== null && typeof value === "object" && !(value instanceof Date) && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]));
  }
  return value;
}

/** Rows of a JSON document: an array, or `{rows: […]}` / `{data: […]}` (the datasets-server's `{row: {…}}` items unwrapped). */
function jsonRows(doc: unknown, what: string): unknown[] {
  const rows = Array.isArray(doc)
    ? doc
    : doc !== null && typeof doc === "object"
      ? ((doc as { rows?: unknown }).rows ?? (doc as { data?: unknown }).data)
      : undefined;
  if (!Array.isArray(rows)) throw new UserError(`${what}: expected an array of rows, or an object with a "rows" or "data" array`);
  return rows.map((r) => (r !== null && typeof r === "object" && "row" in r && "row_idx" in r ? (r as { row: unknown }).row : r));
}

function asRecords(rows: unknown[], what: string): RawRecord[] {
  rows.forEach((r, i) => {
    if (r === null || typeof r !== "object" || Array.isArray(r)) throw new UserError(`${what}: row ${i} is not an object`);
  });
  return rows as RawRecord[];
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`${what}: invalid JSON (${(error as Error).message})`);
  }
}

/** Read the records of a local dataset file, chosen by extension. */
export async function readRecords(path: string): Promise<RawRecord[]> {
  const ext = extname(path).toLowerCase();
  const what = `dataset ${path}`;
  if (ext === ".parquet") return readParquet(readFileSync(path), what);
  const text = readFileSync(path, "utf8");
  if (ext === ".json") return asRecords(jsonRows(parseJson(text, what), what), what);
  if (ext === ".jsonl") {
    const rows: unknown[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() !== "") rows.push(parseJson(line, `${what} line ${i + 1}`));
    });
    return asRecords(rows, what);
  }
  if (ext === ".csv") return csvObjects(text, what);
  throw new UserError(`${what}: unsupported file type "${ext}"; use one of ${DATASET_EXTENSIONS.join(", ")}`);
}

/** Parquet bytes → records (snappy/zstd/gzip/brotli/lz4 pages via hyparquet-compressors). */
export async function readParquet(bytes: Uint8Array, what: string): Promise<RawRecord[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    const rows = await parquetReadObjects({ file, compressors });
    return rows.map((r) => plainValue(r) as RawRecord);
  } catch (error) {
    throw new UserError(`${what}: not a readable parquet file (${(error as Error).message})`);
  }
}
