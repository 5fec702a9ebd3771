import { existsSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { GgufFileType, readGgufFileInfo } from "node-llama-cpp";
import { UserError } from "../errors.js";
import { hfEndpoint, hfToken } from "../data/hf.js";
import { projectRoot } from "../util/version.js";
import { downloadModel, downloadTaggedModel, hfFileUrl, localNameFor, parseHfFileUri } from "./download.js";
import { normalizeGgufType } from "./quantization.js";
import { DEFAULT_REGISTRY_PATH, findRegistryEntry, loadRegistry, type RegistryEntry } from "./registry.js";

export interface ResolveModelOptions {
  role: "generator" | "prm";
  /** GGUF type wanted for a registry id, e.g. "Q4_K_M" | "F16" | "Q8_0" (see ggufQuantizationFor). */
  quantization: string;
  /** Where downloads go and converted files are looked for (default `<project>/models`, git-ignored). */
  modelsDir?: string;
  endpoint?: string;
  token?: string;
  onProgress?: (done: number, total: number) => void;
  /** Abort a download (Ctrl-C); the partial file stays and the next run resumes it. */
  signal?: AbortSignal;
  registryPath?: string;
}

export interface ResolvedModel {
  /** Absolute path of the local .gguf. */
  path: string;
  /** Where it came from: "file", the hf:/https URI, or "convert:<checkpoint>". */
  source: string;
  /** The file's GGUF type (read from its header when possible). */
  quantization: string;
  entry?: RegistryEntry;
}

/** GGUF types `prm-rel convert --outtype` can write (lower-case flag value by type). */
export const CONVERT_OUTTYPES: Record<string, string> = { F16: "f16", Q8_0: "q8_0", Q4_K_M: "q4_k_m", Q4_0: "q4_0", F32: "f32" };

/** Where `prm-rel convert` output for a registry entry is expected: `<models>/<name>-<TYPE>.gguf`. */
export function convertedPath(entry: RegistryEntry, quantization: string, modelsDir: string): string {
  return join(modelsDir, `${entry.id.split("/")[1]}-${quantization}.gguf`);
}

/** The exact command that produces the GGUF a registry entry lacks. */
export function convertCommand(entry: RegistryEntry, quantization: string, modelsDir: string): string {
  return `prm-rel convert ${entry.convert!.from} --outtype ${CONVERT_OUTTYPES[quantization]} --outfile ${convertedPath(entry, quantization, modelsDir)}`;
}

/** The GGUF type of a file: `general.file_type` from its header, else a type named in the file name. */
export async function detectQuantization(path: string): Promise<string> {
  try {
    const info = await readGgufFileInfo(path, { readTensorInfo: false, logWarnings: false, ignoreKeys: ["tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type"] });
    const fileType = (info.metadata as { general?: { file_type?: number } }).general?.file_type;
    const name = fileType !== undefined ? GgufFileType[fileType] : undefined;
    if (name) return name.replace(/^(MOSTLY|ALL)_/, "");
  } catch {
    // not a readable GGUF header: the loader will say so; fall back to the name
  }
  const token = basename(path).replace(/\.gguf$/i, "").split(/[-._]/);
  for (let n = 3; n >= 1; n--) {
    for (let i = token.length - n; i >= 0; i--) {
      const type = normalizeGgufType(token.slice(i, i + n).join("_"));
      if (type) return type;
    }
  }
  return "unknown";
}

/**
 * Turn `--model_name` / `--prm_model` into a local GGUF path:
 * - a path ending in `.gguf` (or any existing file): used as is, must exist;
 * - `hf:<user>/<repo>/<file>.gguf[#branch]`, `hf:<user>/<repo>:<TYPE>` or an http(s) URL:
 *   downloaded into `modelsDir` unless already there;
 * - a registry id or alias: its source for `quantization`, or the converted file, or one UserError
 *   with the exact `prm-rel convert` command.
 */
export async function resolveModel(spec: string, opts: ResolveModelOptions): Promise<ResolvedModel> {
  const dir = resolve(opts.modelsDir ?? join(projectRoot, "models"));
  // Lazily: a bad HF_ENDPOINT must not break resolving a local file.
  const remote = () => ({ dir, endpoint: hfEndpoint(opts.endpoint), token: hfToken(opts.token), onProgress: opts.onProgress, signal: opts.signal });

  if (/^(hf:|https?:\/\/)/i.test(spec)) {
    const path = await fetchRemote(spec, remote());
    return { path, source: spec, quantization: await detectQuantization(path) };
  }
  if (spec.toLowerCase().endsWith(".gguf") || (existsSync(spec) && statSync(spec).isFile()) || spec.startsWith(".") || spec.startsWith("/")) {
    const path = resolve(spec);
    if (!existsSync(path) || !statSync(path).isFile()) throw new UserError(`model file not found: ${path}`);
    return { path, source: "file", quantization: await detectQuantization(path) };
  }

  const registryPath = opts.registryPath ?? DEFAULT_REGISTRY_PATH;
  const registry = loadRegistry(registryPath);
  const entry = findRegistryEntry(registry, spec);
  if (!entry) {
    throw new UserError(
      `unknown model "${spec}": not in ${registryPath} (known: ${registry.models.map((m) => m.id).join(", ")}); ` +
        `pass hf:<user>/<repo>/<file>.gguf, an http(s) URL, or a local .gguf path`,
    );
  }
  if (entry.role !== opts.role) {
    throw new UserError(`model "${spec}" is a ${entry.role}, not a ${opts.role === "prm" ? "PRM" : "generator"}`);
  }
  const quantization = normalizeGgufType(opts.quantization);
  if (!quantization) throw new UserError(`"${opts.quantization}" is not a GGUF type (e.g. Q4_K_M, Q8_0, F16)`);
  const source = entry.quantizations[quantization];
  if (source) {
    const path = await fetchRemote(source, remote());
    return { path, source, quantization, entry };
  }
  const available = Object.keys(entry.quantizations);
  if (entry.convert && CONVERT_OUTTYPES[quantization]) {
    const out = convertedPath(entry, quantization, dir);
    if (existsSync(out)) return { path: out, source: `convert:${entry.convert.from}`, quantization, entry };
    throw new UserError(
      `no public ${quantization} GGUF of ${entry.id} is known${available.length ? ` (published: ${available.join(", ")})` : ""}; ` +
        `make it with: ${convertCommand(entry, quantization, dir)}`,
    );
  }
  const convertible = entry.convert ? Object.keys(CONVERT_OUTTYPES).filter((t) => !available.includes(t)).map((t) => `${t} (via prm-rel convert)`) : [];
  throw new UserError(`no ${quantization} GGUF of ${entry.id} is known; available: ${[...available, ...convertible].join(", ")}; or pass a local .gguf path`);
}

async function fetchRemote(uri: string, o: { dir: string; endpoint: string; token?: string; onProgress?: (d: number, t: number) => void; signal?: AbortSignal }): Promise<string> {
  const ref = parseHfFileUri(uri);
  if (ref) return downloadModel({ ...o, uri, url: hfFileUrl(ref, o.endpoint), fileName: localNameFor(ref) });
  if (/^hf:[^/\s]+\/[^/\s:]+(:\S+)?$/i.test(uri)) return downloadTaggedModel(uri, o);
  if (/^https?:\/\//i.test(uri)) {
    const name = decodeURIComponent(new URL(uri).pathname.split("/").pop() ?? "");
    if (!name.toLowerCase().endsWith(".gguf")) throw new UserError(`model URL must end in a .gguf file name: ${uri}`);
    return downloadModel({ ...o, uri, url: uri, fileName: name.replace(/[^\w.-]+/g, "_") });
  }
  throw new UserError(`cannot read model URI "${uri}"; use hf:<user>/<repo>/<file>.gguf, hf:<user>/<repo>:<TYPE> or an http(s) URL`);
}
