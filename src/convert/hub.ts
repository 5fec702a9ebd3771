import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { cacheRoot } from "../data/hub.js";
import { downloadFile, hfEndpoint, hfToken, HubRequestError, hubFetch } from "../data/hf.js";
import { writeJsonAtomic } from "../util/atomic.js";
import { INDEX_FILE } from "./checkpoint.js";

/**
 * A model repository as a local checkpoint directory, for `prm-rel convert <org/name>`. Uses the
 * hub plumbing datasets use (src/data/hf.ts: HF_ENDPOINT / HF_TOKEN, one-line errors, resumable
 * downloads checked against the hub's size and sha256) and the same cache root.
 */
export interface ModelHubOptions {
  endpoint?: string;
  token?: string;
  revision?: string;
  cacheDir?: string;
  signal?: AbortSignal;
  onProgress?: (file: string, done: number, total: number | undefined) => void;
  onMessage?: (msg: string) => void;
}

/** "org/name", as model ids look (a local path is checked first by callers). */
export function isRepoId(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s) && !s.includes("..");
}

interface Listed { path: string; size?: number; sha256?: string }
type Manifest = Record<string, string>; // path → sha256 of the copy in the cache

/** Top-level files of the repo at `revision` (the tree API, paginated by Link headers). */
async function listFiles(id: string, o: { endpoint: string; token?: string; revision: string; signal?: AbortSignal }): Promise<Listed[]> {
  const out: Listed[] = [];
  let url: string | undefined = `${o.endpoint}/api/models/${id}/tree/${encodeURIComponent(o.revision)}`;
  while (url) {
    const res = await hubFetch(url, { ...o, what: `model ${id}: file list`, headers: { Accept: "application/json" } });
    const page = (await res.json()) as { type?: string; path?: string; size?: number; lfs?: { oid?: string; size?: number } }[];
    if (!Array.isArray(page)) throw new UserError(`model ${id}: unexpected file list from ${o.endpoint}`);
    for (const e of page) {
      // Plain top-level names only: they become file names in the cache.
      if (e.type === "file" && typeof e.path === "string" && /^[\w.-]+$/.test(e.path) && !e.path.startsWith(".")) {
        out.push({ path: e.path, size: e.lfs?.size ?? e.size, sha256: e.lfs?.oid });
      }
    }
    url = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "")?.[1];
  }
  return out;
}

/** The files convert reads: config, tokenizer files, shard index and shards (or model.safetensors). */
function wanted(id: string, files: Map<string, Listed>, readIndex: () => Record<string, any>): string[] {
  for (const f of ["config.json", "tokenizer.json"]) {
    if (!files.has(f)) throw new UserError(`model ${id} has no ${f}: not a transformers checkpoint convert can read`);
  }
  const out = ["config.json", "tokenizer.json", ...["tokenizer_config.json", "chat_template.jinja"].filter((f) => files.has(f))];
  if (files.has(INDEX_FILE)) {
    const shards = [...new Set(Object.values<string>(readIndex().weight_map ?? {}))].sort();
    const missing = shards.filter((s) => !files.has(s));
    if (missing.length) throw new UserError(`model ${id}: ${INDEX_FILE} names shard ${missing[0]}, which the repository does not have`);
    return [...out, INDEX_FILE, ...shards];
  }
  if (files.has("model.safetensors")) return [...out, "model.safetensors"];
  throw new UserError(`model ${id} has no safetensors weights (convert does not read PyTorch .bin files)`);
}

/**
 * Download (or reuse) what convert needs from a model repo and return the local directory.
 * Files already in the cache with the hub's current sha256 are not fetched again; when the hub
 * cannot be reached, the last complete copy of that revision is used.
 */
export async function fetchCheckpoint(id: string, opts: ModelHubOptions = {}): Promise<string> {
  if (!isRepoId(id)) throw new UserError(`${id} is neither a local directory nor a Hugging Face repo id (org/name)`);
  const o = { endpoint: hfEndpoint(opts.endpoint), token: hfToken(opts.token), revision: opts.revision ?? "main", signal: opts.signal };
  const base = join(cacheRoot(opts.cacheDir), "models", ...id.split("/"));
  const dir = join(base, "files", encodeURIComponent(o.revision));
  const manifestPath = join(base, "manifests", `${encodeURIComponent(o.revision)}.json`);
  const manifest: Manifest = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, "utf8")) : {};
  let listed: Listed[];
  try {
    listed = await listFiles(id, o);
  } catch (error) {
    const complete = Object.keys(manifest).length > 0 && Object.keys(manifest).every((f) => existsSync(join(dir, f)));
    if (!(error instanceof HubRequestError) || error.kind !== "network" || !complete) throw error;
    opts.onMessage?.(`model ${id}: hub unreachable (${error.message}); using the cached copy in ${dir}`);
    return dir;
  }
  const files = new Map(listed.map((f) => [f.path, f]));
  const fetchOne = async (path: string) => {
    const f = files.get(path)!, local = join(dir, path);
    const fresh = existsSync(local) && manifest[path] !== undefined && (f.sha256 === undefined || manifest[path] === f.sha256) &&
      (f.size === undefined || statSync(local).size === f.size);
    if (fresh) return;
    const url = `${o.endpoint}/${id}/resolve/${encodeURIComponent(o.revision)}/${encodeURIComponent(path)}`;
    manifest[path] = await downloadFile(url, local, {
      ...o, what: `model ${id}: ${path}`, size: f.size, sha256: f.sha256,
      onProgress: (done, total) => opts.onProgress?.(path, done, total),
    });
    writeJsonAtomic(manifestPath, manifest);
  };
  if (files.has(INDEX_FILE)) await fetchOne(INDEX_FILE);
  const readIndex = () => {
    try {
      return JSON.parse(readFileSync(join(dir, INDEX_FILE), "utf8"));
    } catch {
      throw new UserError(`model ${id}: ${INDEX_FILE} is not valid JSON`);
    }
  };
  for (const path of wanted(id, files, readIndex)) await fetchOne(path);
  return dir;
}
