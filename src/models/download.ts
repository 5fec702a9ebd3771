import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { resolveModelFile } from "node-llama-cpp";
import { UserError } from "../errors.js";
import { HubRequestError, hubFetch, redact } from "../data/hf.js";

/**
 * Model downloads through node-llama-cpp's own resolver/downloader (`resolveModelFile`, which
 * uses ipull: parallel ranges, a `<file>.ipull` progress file, resume across runs, rename when
 * complete). node-llama-cpp honours an endpoint override (`endpoints.huggingFace`, also
 * `HF_ENDPOINT`/`MODEL_ENDPOINT`), so `hf:` URIs resolve against our endpoint, tests included.
 */

/** `hf:<user>/<repo>/<path/to/file>.gguf[#branch]`, the form that names one file. */
export interface HfFileRef {
  user: string;
  repo: string;
  path: string;
  branch: string;
}

export function parseHfFileUri(uri: string): HfFileRef | undefined {
  const m = /^hf:([^/\s]+)\/([^/\s]+)\/([^#\s]+\.gguf)(?:#(\S+))?$/i.exec(uri);
  return m ? { user: m[1], repo: m[2], path: m[3], branch: m[4] ?? "main" } : undefined;
}

/** The hub URL of a file: `{endpoint}/{user}/{repo}/resolve/{branch}/{path}`. */
export function hfFileUrl(ref: HfFileRef, endpoint: string): string {
  const path = ref.path.split("/").map(encodeURIComponent).join("/");
  return `${endpoint}/${encodeURIComponent(ref.user)}/${encodeURIComponent(ref.repo)}/resolve/${encodeURIComponent(ref.branch)}/${path}`;
}

const safe = (s: string) => s.replace(/[^\w.-]+/g, "_");

/**
 * Local file name under models/: `hf_<user>_<file>` when the file is named after its repo
 * (`bartowski/X-GGUF` holding `X-Q4_K_M.gguf`), else `hf_<user>_<repo>_<file>` so that generic
 * names (`ggml-model-f16.gguf`) from different repos never collide. Branches other than main and
 * sub-folders are part of the name too.
 */
export function localNameFor(ref: HfFileRef): string {
  const file = basename(ref.path);
  const stem = ref.repo.replace(/-gguf$/i, "").toLowerCase();
  const parts = ["hf", ref.user];
  if (!file.toLowerCase().startsWith(stem)) parts.push(ref.repo);
  if (ref.branch !== "main") parts.push(ref.branch);
  const dir = ref.path.split("/").slice(0, -1).join("__");
  if (dir) parts.push(dir);
  return [...parts, file].map(safe).join("_");
}

/**
 * node-llama-cpp reads `HF_TOKEN` or ~/.cache/huggingface/token itself when the token is
 * undefined; null (typed as string there, handled at runtime) stops that, so only the token we
 * resolved (option, else HF_TOKEN) is ever used.
 */
function noAmbientToken(token: string | undefined): { huggingFace?: string } {
  return { huggingFace: token ?? (null as unknown as string) };
}

export interface DownloadModelOptions {
  /** What to hand node-llama-cpp: an `hf:` URI or an http(s) URL. */
  uri: string;
  /** The URL the bytes come from (for the preflight and for messages). */
  url: string;
  fileName: string;
  dir: string;
  endpoint: string;
  token?: string;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

function provideHint(o: DownloadModelOptions): string {
  return `Download ${o.url} yourself and put it at ${join(o.dir, o.fileName)}, or pass a local .gguf path`;
}

/**
 * Return the model file's local path, downloading it first when absent. A quick one-byte ranged
 * GET goes first: ipull retries network errors for minutes, and an offline user deserves one
 * clear line at once (unreachable host, 401/403 without or with a refused token, 404).
 */
export async function downloadModel(o: DownloadModelOptions): Promise<string> {
  const target = join(o.dir, o.fileName);
  if (existsSync(target)) return target;
  const what = `model file ${o.fileName}`;
  try {
    const res = await hubFetch(o.url, { endpoint: o.endpoint, token: o.token, what, headers: { Range: "bytes=0-0" }, signal: o.signal });
    await res.body?.cancel().catch(() => undefined);
  } catch (error) {
    if (error instanceof HubRequestError) throw new UserError(`${error.message}. ${provideHint(o)}`);
    throw error;
  }
  let path: string;
  try {
    path = await resolveModelFile(o.uri, {
      directory: o.dir,
      fileName: o.fileName,
      cli: false,
      // Keep `<file>.ipull` on Ctrl-C or failure: the next run resumes from it.
      deleteTempFileOnCancel: false,
      tokens: noAmbientToken(o.token),
      endpoints: { huggingFace: `${o.endpoint}/` },
      onProgress: ({ downloadedSize, totalSize }) => o.onProgress?.(downloadedSize, totalSize),
      signal: o.signal,
    });
  } catch (error) {
    if (o.signal?.aborted) throw error;
    const message = redact(String((error as Error)?.message ?? error), o.token);
    throw new UserError(`${what}: download failed (${message}). ${provideHint(o)}`);
  }
  // node-llama-cpp returns the path even when the download was cancelled: check both.
  if (o.signal?.aborted) throw o.signal.reason ?? new Error("download aborted");
  if (!existsSync(path)) throw new UserError(`${what}: download did not complete. ${provideHint(o)}`);
  return path;
}

/**
 * Files named by a tag (`hf:<user>/<repo>:Q4_K_M`) need the hub's manifest to find the file:
 * try the cache offline first, then let node-llama-cpp resolve and download.
 */
export async function downloadTaggedModel(uri: string, o: Omit<DownloadModelOptions, "uri" | "url" | "fileName">): Promise<string> {
  const common = {
    directory: o.dir,
    cli: false,
    deleteTempFileOnCancel: false,
    tokens: noAmbientToken(o.token),
    endpoints: { huggingFace: `${o.endpoint}/` },
    signal: o.signal,
  };
  try {
    return await resolveModelFile(uri, { ...common, download: false });
  } catch {
    // not cached: download below
  }
  try {
    return await resolveModelFile(uri, { ...common, onProgress: ({ downloadedSize, totalSize }) => o.onProgress?.(downloadedSize, totalSize) });
  } catch (error) {
    if (o.signal?.aborted) throw error;
    const message = redact(String((error as Error)?.message ?? error), o.token);
    throw new UserError(`model ${uri}: cannot resolve or download (${message}); pass hf:<user>/<repo>/<file>.gguf or a local .gguf path`);
  }
}
