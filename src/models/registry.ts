import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { UserError } from "../errors.js";
import { parseOrThrow } from "../util/validate.js";
import { projectRoot } from "../util/version.js";
import { normalizeGgufType } from "./quantization.js";

/**
 * `models/registry.json`: the model ids the CLI knows, each mapped to GGUF sources per
 * quantization (an `hf:<user>/<repo>/<file>.gguf` URI or an http(s) URL) and/or to a checkpoint
 * that `prm-rel convert` can turn into a GGUF (for quantizations no one publishes).
 */
export const DEFAULT_REGISTRY_PATH = join(projectRoot, "models", "registry.json");

/** How a PRM turns hidden states into step rewards (one scorer module per family). */
export const PrmFamily = v.picklist(["qwen-prm-head", "plus-minus"]);
export type PrmFamily = v.InferOutput<typeof PrmFamily>;

export const GgufSource = v.pipe(
  v.string(),
  v.regex(/^(hf:[^/\s]+\/[^/\s]+\/\S+\.gguf(#\S+)?|https?:\/\/\S+)$/i, "must be hf:<user>/<repo>/<file>.gguf or an http(s) URL"),
);

const HF_ID = v.pipe(v.string(), v.regex(/^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/, "must look like owner/name"));

export const RegistryEntry = v.pipe(
  v.strictObject({
    id: HF_ID,
    aliases: v.optional(v.array(HF_ID), []),
    role: v.picklist(["generator", "prm"]),
    family: v.optional(PrmFamily),
    quantizations: v.optional(
      v.record(
        v.pipe(v.string(), v.check((k) => normalizeGgufType(k) === k, "must be a canonical GGUF type such as Q4_K_M, Q8_0, F16")),
        GgufSource,
      ),
      {},
    ),
    convert: v.optional(v.strictObject({ from: HF_ID })),
    notes: v.optional(v.string()),
  }),
  v.check((e) => (e.role === "prm") === (e.family !== undefined), "a PRM needs a family, a generator has none"),
  v.check((e) => Object.keys(e.quantizations).length > 0 || e.convert !== undefined, "needs quantizations or convert"),
);
export type RegistryEntry = v.InferOutput<typeof RegistryEntry>;

export const Registry = v.pipe(
  v.object({ models: v.array(RegistryEntry) }),
  v.check((r) => {
    const names = r.models.flatMap((m) => [m.id, ...m.aliases].map((n) => n.toLowerCase()));
    return new Set(names).size === names.length;
  }, "ids and aliases must be unique (case-insensitively)"),
);
export type Registry = v.InferOutput<typeof Registry>;

const cache = new Map<string, Registry>();

/** Read and validate a registry file (cached per path); a bad file is one UserError naming the field. */
export function loadRegistry(path = DEFAULT_REGISTRY_PATH): Registry {
  const hit = cache.get(path);
  if (hit) return hit;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UserError(`model registry ${path}: ${(error as Error).message}`);
  }
  const registry = parseOrThrow(Registry, json, `model registry ${path}`);
  cache.set(path, registry);
  return registry;
}

/** The entry whose id or alias equals `spec` (hub ids are case-insensitive). */
export function findRegistryEntry(registry: Registry, spec: string): RegistryEntry | undefined {
  const key = spec.trim().toLowerCase();
  return registry.models.find((m) => m.id.toLowerCase() === key || m.aliases.some((a) => a.toLowerCase() === key));
}
