import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname } from "node:path";
import { UserError } from "../errors.js";

/**
 * Hugging Face hub plumbing shared by datasets and models: endpoint and token resolution, fetch
 * with one-line errors, and a resumable, atomic, checksummed file download. The token is only
 * ever put into an Authorization header for the hub's own origin; messages never contain it.
 */
export const DEFAULT_HF_ENDPOINT = "https://huggingface.co";

/** The option, else `HF_ENDPOINT`, else huggingface.co; no trailing slash. */
export function hfEndpoint(option?: string): string {
  const raw = option || process.env.HF_ENDPOINT || DEFAULT_HF_ENDPOINT;
  if (!/^https?:\/\//i.test(raw)) throw new UserError(`HF endpoint must be an http(s) URL, got "${raw}"`);
  return raw.replace(/\/+$/, "");
}

/** The option, else `HF_TOKEN`; empty means none. */
export function hfToken(option?: string): string | undefined {
  const token = option ?? process.env.HF_TOKEN;
  return token ? token : undefined;
}

/** Remove a secret from text that came from a library (belt and braces: we never put it there). */
export function redact(text: string, token?: string): string {
  return token ? text.split(token).join("***") : text;
}

/** Authorization only for URLs on the endpoint's origin (never to a CDN a URL points at). */
export function authHeaders(url: string, endpoint: string, token?: string): Record<string, string> {
  return token && new URL(url).origin === new URL(endpoint).origin ? { Authorization: `Bearer ${token}` } : {};
}

/** A failed hub request: `kind` tells an unreachable host (cache may help) from an HTTP answer. */
export class HubRequestError extends UserError {
  override name = "HubRequestError";
  constructor(message: string, readonly kind: "network" | "status", readonly status?: number) {
    super(message);
  }
}

export interface HubFetchOptions {
  endpoint: string;
  token?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** What we were fetching, for the message ("dataset MathArena/aime_2025 file list"). */
  what: string;
}

function statusHint(status: number, token: string | undefined): string {
  if (status === 401 || status === 403) {
    return token
      ? "HF_TOKEN was sent but refused: check that the token has access to this repository"
      : "the repository may be gated or private: set HF_TOKEN to a token with access";
  }
  if (status === 404) return "not found: check the id, the split and the revision";
  if (status === 429) return "rate limited by the hub: wait and retry";
  return "the hub answered with an error";
}

/** fetch() that turns every failure into a one-line HubRequestError naming what and where. */
export async function hubFetch(url: string, o: HubFetchOptions): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { ...o.headers, ...authHeaders(url, o.endpoint, o.token) }, signal: o.signal });
  } catch (error) {
    if (o.signal?.aborted) throw error;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new HubRequestError(redact(`${o.what}: cannot reach ${new URL(url).origin} (${why})`, o.token), "network");
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    const msg = `${o.what}: HTTP ${res.status} from ${url} (${statusHint(res.status, o.token)})`;
    throw new HubRequestError(redact(msg, o.token), "status", res.status);
  }
  return res;
}

/** sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export interface DownloadOptions extends Omit<HubFetchOptions, "headers"> {
  /** Expected size and sha256 (from the hub's LFS pointer) when known: checked before the rename. */
  size?: number;
  sha256?: string;
  onProgress?: (done: number, total: number | undefined) => void;
}

/**
 * Download `url` to `dest` atomically: bytes go to `dest.part` (resumed with a Range request when a
 * previous attempt left one), are checked against the expected size/sha256, then renamed over
 * `dest`. A connection cut mid-body is retried (resuming) up to 3 times. Returns the sha256.
 */
export async function downloadFile(url: string, dest: string, o: DownloadOptions, fresh = false): Promise<string> {
  mkdirSync(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const stale = existsSync(part);
  for (let attempt = 1; ; attempt++) {
    const have = existsSync(part) ? statSync(part).size : 0;
    const headers: Record<string, string> = have > 0 ? { Range: `bytes=${have}-` } : {};
    let res: Response;
    try {
      res = await hubFetch(url, { ...o, headers });
    } catch (error) {
      // 416: the part file already holds every byte (a previous run died before the rename).
      if (!(error instanceof HubRequestError && error.status === 416 && have > 0)) throw error;
      break;
    }
    const resumed = res.status === 206;
    const total = resumed ? Number(/\/(\d+)$/.exec(res.headers.get("content-range") ?? "")?.[1] ?? NaN) : Number(res.headers.get("content-length") ?? NaN);
    let done = resumed ? have : 0;
    // Each chunk is written before the next is read, so a cut connection leaves on disk exactly
    // the bytes received, and the next attempt resumes from there.
    const file = await open(part, resumed ? "a" : "w");
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        await file.write(chunk);
        done += chunk.length;
        o.onProgress?.(done, Number.isFinite(total) ? total : o.size);
      }
      break;
    } catch (error) {
      if (o.signal?.aborted || attempt >= 3) {
        throw new HubRequestError(redact(`${o.what}: download of ${url} failed (${(error as Error).message})`, o.token), "network");
      }
    } finally {
      await file.close();
    }
  }
  const size = statSync(part).size;
  const sha = await sha256File(part);
  if ((o.size !== undefined && size !== o.size) || (o.sha256 !== undefined && sha !== o.sha256.toLowerCase())) {
    rmSync(part, { force: true });
    // A part file left by an older version of the file: start over once from byte 0.
    if (stale && !fresh) return downloadFile(url, dest, o, true);
    throw new UserError(`${o.what}: downloaded ${url} does not match the hub's size/sha256 (got ${size} bytes, sha256 ${sha}); run again`);
  }
  renameSync(part, dest);
  return sha;
}
