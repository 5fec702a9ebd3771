import { existsSync } from "node:fs";
import type { Llama, LlamaModel } from "node-llama-cpp";
import { UserError, oneLine } from "../errors.js";
import { llamaTextTokenizer, type TextTokenizer } from "./truncate.js";

/**
 * The generator's tokenizer, which τ counts in. Where it comes from, in order:
 * 1. `--generator_model` (a .gguf path, or anything `resolveModel` takes — a registry id downloads);
 * 2. the GGUF the gen stage recorded in the data file's metadata (`model_file`, `model_path`, …),
 *    when that file exists here;
 * 3. the PRM itself, when it shares the generator's vocabulary: a Qwen2.5 generator
 *    (`metadata.model_name` names Qwen2.5) with a PRM whose tokenizer is Qwen2's
 *    (`tokenizer.ggml.pre = qwen2`, as Qwen2.5-Math-PRM's is) — then no second file is needed.
 * Otherwise one UserError asking for `--generator_model`. GGUFs are loaded vocabulary-only.
 */
export interface GeneratorTokenizer {
  tokenizer: TextTokenizer;
  /** "flag" | "data-file metadata" | "prm (shared Qwen2.5 vocabulary)" */
  source: string;
  path: string;
  dispose(): Promise<void>;
}

/** Keys under which a data file's metadata may name the generator's GGUF. */
export const MODEL_FILE_KEYS = ["model_file", "model_path", "model_gguf", "gguf", "generator_model_file", "generator_gguf"] as const;

export function recordedModelFile(metadata: Record<string, unknown>): string | undefined {
  for (const key of MODEL_FILE_KEYS) {
    const value = metadata[key];
    if (typeof value === "string" && value.toLowerCase().endsWith(".gguf")) return value;
  }
  const nested = (metadata.model ?? metadata.generator) as Record<string, unknown> | undefined;
  if (nested && typeof nested === "object") {
    for (const key of ["file", "path", ...MODEL_FILE_KEYS]) {
      const value = nested[key];
      if (typeof value === "string" && value.toLowerCase().endsWith(".gguf")) return value;
    }
  }
  return undefined;
}

/** Whether a PRM GGUF's vocabulary is the generator's (see the rules above). */
export function prmSharesVocabulary(generatorName: string, prmMetadata: any): boolean {
  return /qwen2\.5/i.test(generatorName) && prmMetadata?.tokenizer?.ggml?.pre === "qwen2";
}

async function vocabOnly(llama: Llama, path: string): Promise<LlamaModel> {
  try {
    return await llama.loadModel({ modelPath: path, vocabOnly: true });
  } catch (error) {
    throw new UserError(`cannot read the generator's vocabulary from ${path}: ${oneLine(String((error as Error).message ?? error)).slice(0, 160)}`);
  }
}

export async function generatorTokenizer(input: {
  llama: Llama;
  /** A resolved `--generator_model` path, if given. */
  flagPath?: string;
  dataFile: string;
  metadata: Record<string, unknown>;
  prm: { model: LlamaModel; path: string };
}): Promise<GeneratorTokenizer> {
  const load = async (path: string, source: string): Promise<GeneratorTokenizer> => {
    const model = await vocabOnly(input.llama, path);
    return { tokenizer: llamaTextTokenizer(model), source, path, dispose: () => model.dispose() };
  };
  if (input.flagPath) return load(input.flagPath, "flag");
  const recorded = recordedModelFile(input.metadata);
  if (recorded && existsSync(recorded)) return load(recorded, "data-file metadata");
  const name = String(input.metadata.model_name ?? "");
  if (prmSharesVocabulary(name, input.prm.model.fileInfo.metadata)) {
    return { tokenizer: llamaTextTokenizer(input.prm.model), source: "prm (shared Qwen2.5 vocabulary)", path: input.prm.path, dispose: async () => {} };
  }
  throw new UserError(
    `cannot find the tokenizer of generator "${name}" for ${input.dataFile}` +
      `${recorded ? ` (its metadata names ${recorded}, which is not here)` : ""}; pass --generator_model <gguf path or model id> (τ counts generator tokens)`,
  );
}
