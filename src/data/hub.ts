import { existsSync, readFileSync, statSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import * as v from "valibot";
import { UserError } from "../errors.js";
import { writeJsonAtomic } from "../util/atomic.js";
import { projectRoot } from "../util/version.js";
import { downloadFile, hfEndpoint, hfToken, HubRequestError, hubFetch, sha256File } from "./hf.js";

/**
 * A Hugging Face dataset split as local parquet files. Listing follows what `datasets` does for a
 * repo without a loading script: the repo tree (`/api/datasets/{id}/tree/{rev}?recursive=true`,
 * paginated by `Link` headers) filtered to `*.parquet` files named for the split
 * (`data/train-00000-of-00001.parquet`, `train.parquet`) or in a folder named for it
 * (`default/train/0000.parquet`). Repos that hold other formats fall back to the hub's
 * auto-converted parquet (`/api/datasets/{id}/parquet/default/{split}`, a JSON list of URLs).
 */

export interface HubFile {
  /** Path in the repo (or `parquet-api/…` for auto-converted files): the cache key and what metadata records. */
  path: string;
  url: string;
  size?: number;
  sha256?: string;
}

const TreeEntry = v.object({
  type: v.string(),
  path: v.string(),
  size: v.optional(v.number()),
  lfs: v.optional(v.object({ oid: v.string(), size: v.number() })),
});
const Manifest = v.object({
  id: v.string(),
  split: v.string(),
  revision: v.string(),
  files: v.array(v.object({ path: v.string(), size: v.number(), sha256: v.string() })),
});
type Manifest = v.InferOutput<typeof Manifest>;

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const isHubDatasetId = (s: string): boolean => ID.test(s);

/** Cache root: the option, else `$PRM_REL_CACHE`, else `<project>/models/cache` (git-ignored). */
export function cacheRoot(option?: string): string {
  return resolve(option || process.env.PRM_REL_CACHE || join(projectRoot, "models", "cache"));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The parquet files of `split` among repo paths, shards sorted; one config only. */
export function pickSplitFiles(paths: string[], split: string): string[] {
  const named = new RegExp(`^${escapeRe(split)}([-._ 0-9].*)?\\.parquet$`);
  const hits = paths.filter((p) => {
    if (!p.endsWith(".parquet")) return false;
    const parts = p.split("/");
    return named.test(parts[parts.length - 1]) || parts.slice(0, -1).includes(split);
  });
  // Several configs (`a/train-*.parquet`, `b/train-*.parquet`): keep the default one.
  const configOf = (p: string) => posix.dirname(p).split("/").filter((d) => d !== split).join("/");
  const configs = [...new Set(hits.map(configOf))];
  if (configs.length <= 1) return hits.sort();
  const preferred = ["data", "default", "", "."].find((c) => configs.includes(c));
  if (preferred === undefined) {
    throw new UserError(`split "${split}" exists in several configurations (${configs.join(", ")}); download the one you want and pass its path`);
  }
  return hits.filter((p) => configOf(p) === preferred).sort();
}

function nextLink(header: string | null): string | undefined {
  return header ? /<([^>]+)>;\s*rel="next"/.exec(header)?.[1] : undefined;
}

interface HubOptions {
  endpoint: string;
  token?: string;
  revision: string;
}

async function listTree(id: string, o: HubOptions): Promise<v.InferOutput<typeof TreeEntry>[]> {
  const entries: v.InferOutput<typeof TreeEntry>[] = [];
  let url: string | undefined = `${o.endpoint}/api/datasets/${id}/tree/${encodeURIComponent(o.revision)}?recursive=true&expand=false`;
  while (url) {
    const res = await hubFetch(url, { ...o, what: `dataset ${id}: file list`, headers: { Accept: "application/json" } });
    const page = v.safeParse(v.array(TreeEntry), await res.json());
    if (!page.success) throw new UserError(`dataset ${id}: unexpected file list from ${o.endpoint}`);
    entries.push(...page.output);
    url = nextLink(res.headers.get("link"));
  }
  return entries;
}

/** The split's files: from the repo tree, else from the hub's auto-converted parquet listing. */
export async function listSplitFiles(id: string, split: string, o: HubOptions): Promise<HubFile[]> {
  // Paths become cache file names: never let one climb out of the cache.
  const entries = (await listTree(id, o)).filter((e) => e.type === "file" && !e.path.split("/").some((s) => s === ".." || s === ""));
  const picked = pickSplitFiles(entries.map((e) => e.path), split);
  if (picked.length > 0) {
    const byPath = new Map(entries.map((e) => [e.path, e]));
    return picked.map((path) => {
      const e = byPath.get(path)!;
      const encoded = path.split("/").map(encodeURIComponent).join("/");
      // An LFS pointer's oid is the sha256 of the content; small non-LFS files carry only a git oid.
      return { path, url: `${o.endpoint}/datasets/${id}/resolve/${encodeURIComponent(o.revision)}/${encoded}`, size: e.lfs?.size ?? e.size, sha256: e.lfs?.oid };
    });
  }
  const what = `dataset ${id}: split "${split}"`;
  let urls: unknown;
  try {
    const res = await hubFetch(`${o.endpoint}/api/datasets/${id}/parquet/default/${encodeURIComponent(split)}`, { ...o, what });
    urls = await res.json();
  } catch (error) {
    if (!(error instanceof HubRequestError && error.status === 404)) throw error;
    const splits = [...new Set(entries.filter((e) => e.path.endsWith(".parquet")).map((e) => posix.basename(e.path).split(/[-._ 0-9]/)[0]))];
    throw new UserError(`${what} has no parquet files${splits.length ? `; parquet files seen for: ${splits.join(", ")}` : ""}`);
  }
  const list = v.safeParse(v.array(v.string()), urls);
  if (!list.success || list.output.length === 0) throw new UserError(`${what} has no parquet files`);
  return list.output.map((url, i) => ({ path: `parquet-api/default/${split}/${i}.parquet`, url }));
}

export interface HubSplit {
  files: { path: string; local: string; sha256: string }[];
  fromCache: boolean;
}

/**
 * Make the split's parquet files available locally: list them online and download what the cache
 * lacks (or holds with another checksum); when the hub cannot be reached or refuses, fall back to
 * the last complete copy recorded in the cache's manifest.
 */
export async function fetchHubSplit(
  id: string,
  split: string,
  opts: { cacheDir?: string; endpoint?: string; token?: string; revision?: string; onProgress?: (msg: string) => void },
): Promise<HubSplit> {
  const o: HubOptions = { endpoint: hfEndpoint(opts.endpoint), token: hfToken(opts.token), revision: opts.revision ?? "main" };
  const dir = join(cacheRoot(opts.cacheDir), "datasets", ...id.split("/"));
  const manifestPath = join(dir, "splits", `${split}.json`);
  const filesDir = join(dir, "files", o.revision);
  let listed: HubFile[];
  try {
    listed = await listSplitFiles(id, split, o);
  } catch (error) {
    if (!(error instanceof HubRequestError)) throw error;
    const cached = readManifest(manifestPath, filesDir);
    if (!cached) {
      throw new UserError(
        `${error.message}; no cached copy at ${dir}. Connect (or set HF_ENDPOINT to a mirror), or download the split's parquet file and pass its path as the dataset`,
      );
    }
    opts.onProgress?.(`dataset ${id}: hub unavailable (${error.message}); using the cached copy in ${dir}`);
    return { files: cached.files.map((f) => ({ path: f.path, local: join(filesDir, f.path), sha256: f.sha256 })), fromCache: true };
  }
  const files: HubSplit["files"] = [];
  for (const f of listed) {
    const local = join(filesDir, f.path);
    // Reuse a cached file unless the hub says it changed (sha256 for LFS files, else the size;
    // auto-converted files carry neither and are reused until the cache is deleted).
    let sha = existsSync(local) ? await sha256File(local) : undefined;
    const changed = f.sha256 !== undefined ? sha !== f.sha256 : f.size !== undefined && existsSync(local) && statSync(local).size !== f.size;
    if (sha === undefined || changed) {
      opts.onProgress?.(`dataset ${id}: downloading ${f.path}`);
      sha = await downloadFile(f.url, local, { ...o, what: `dataset ${id}: ${f.path}`, size: f.size, sha256: f.sha256 });
    }
    files.push({ path: f.path, local, sha256: sha });
  }
  const manifest: Manifest = { id, split, revision: o.revision, files: files.map((f) => ({ path: f.path, size: statSync(f.local).size, sha256: f.sha256 })) };
  writeJsonAtomic(manifestPath, manifest);
  return { files, fromCache: false };
}

function readManifest(path: string, filesDir: string): Manifest | undefined {
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  const parsed = v.safeParse(Manifest, json);
  if (!parsed.success) return undefined;
  return parsed.output.files.every((f) => existsSync(join(filesDir, f.path))) ? parsed.output : undefined;
}
