import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../errors.js";
import { checkGpuMemoryUtilization, DEFAULT_GPU_MEMORY_UTILIZATION, type Device } from "../llama/runtime.js";
import type { GenEngine } from "./step.js";
import { projectRoot } from "../util/version.js";

/** Everything `prm-rel gen` needs; the seed's flags first, under the seed's defaults (GEN_DEFAULTS). */
export interface GenOptions {
  modelName: string;
  dataset: string;
  split: string;
  /** Problems to pick (seeded); undefined = all. */
  numSamples?: number;
  N: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  outputDir: string;
  tensorParallelSize: number;
  gpuMemoryUtilization: number;
  dtype: string;
  quantization?: string | null;
  seed: number;
  /** The system prompt text (default: assets/generator-system-prompt.txt). */
  systemPrompt: string;
  device: Device;
  threads?: number;
  /** Replace an existing output made with other settings. */
  overwrite: boolean;
  /** Continue an existing output made with the same settings (else: error unless overwrite). */
  resume: boolean;
  /** Sequences decoded together; speed only, never the results. Default: see defaultWidth. */
  batchWidth?: number;
  /** Ask llama.cpp for the whole vocabulary at every draw (slow; checks the fast path, see sampler.ts). */
  fullVocabulary?: boolean;
  /** How steps reach llama.cpp (gen/step.ts); not a flag: tests and benchmarks compare the paths. Speed only. */
  engine?: GenEngine;
  /**
   * Lock-step engines run side by side, each on its own context (shared weights) with
   * ceil(width / contexts) sequences and every contexts-th problem: while one decodes on a libuv
   * thread the other draws on the main thread. Not a flag; speed only. Default: 2 on a GPU at a
   * batch width >= 64, else 1.
   */
  contexts?: number;
  modelsDir?: string;
  cacheDir?: string;
  endpoint?: string;
}

export const GEN_DEFAULTS = {
  modelName: "Qwen/Qwen2.5-7B-Math-Instruct",
  dataset: "MathArena/aime_2025",
  split: "train",
  N: 64,
  temperature: 0.8,
  topP: 0.9,
  maxTokens: 2048,
  outputDir: "prm_analysis_data",
  tensorParallelSize: 1,
  gpuMemoryUtilization: DEFAULT_GPU_MEMORY_UTILIZATION,
  dtype: "float16",
  quantization: null,
  seed: 0,
  device: "auto" as Device,
} as const;

/** The shipped default system prompt (the one the original run used). */
export function defaultSystemPrompt(): string {
  return readFileSync(resolve(projectRoot, "assets", "generator-system-prompt.txt"), "utf8");
}

/** Check the values a flag parser cannot: one UserError naming the flag. */
export function validateGenOptions(o: GenOptions): void {
  const int = (v: number, name: string, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new UserError(`--${name} must be an integer >= ${min}, got ${v}`);
  };
  int(o.N, "N", 1);
  int(o.maxTokens, "max_tokens", 1);
  int(o.tensorParallelSize, "tensor_parallel_size", 1);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new UserError(`--seed must be an integer in [0, 4294967295], got ${o.seed}`);
  if (o.numSamples !== undefined) int(o.numSamples, "num_samples", 1);
  if (o.threads !== undefined) int(o.threads, "threads", 1);
  if (o.batchWidth !== undefined) int(o.batchWidth, "batch_width", 1);
  if (o.contexts !== undefined) int(o.contexts, "contexts", 1);
  if (!Number.isFinite(o.temperature) || o.temperature < 0) throw new UserError(`--temperature must be >= 0 (0 = greedy), got ${o.temperature}`);
  if (!Number.isFinite(o.topP) || o.topP <= 0 || o.topP > 1) throw new UserError(`--top_p must be in (0, 1], got ${o.topP}`);
  checkGpuMemoryUtilization(o.gpuMemoryUtilization);
  if (!o.modelName.trim()) throw new UserError("--model_name is empty");
  if (!o.dataset.trim()) throw new UserError("--dataset is empty");
  if (!o.outputDir.trim()) throw new UserError("--output_dir is empty");
}
