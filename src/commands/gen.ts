import { readFileSync } from "node:fs";
import { defineCommand } from "citty";
import { UserError } from "../errors.js";
import { DEVICES } from "../llama/runtime.js";
import { GEN_DEFAULTS as D, defaultSystemPrompt, validateGenOptions, type GenOptions } from "../gen/options.js";
import { enumFlag, intFlag, numberFlag, outputPolicyArgs, rejectUnknownFlags, runtimeArgs, withInterrupt } from "./_shared.js";

const args = {
  model_name: { type: "string", description: `Generator: a known Hugging Face id, hf:<user>/<repo>/<file>.gguf, or a local .gguf (default: ${D.modelName})` },
  dataset: { type: "string", description: `Hugging Face dataset id or a local .json/.jsonl/.csv/.parquet file (default: ${D.dataset})` },
  split: { type: "string", description: `Dataset split (default: ${D.split})` },
  num_samples: { type: "string", description: "Number of problems to pick, reproducibly from --seed (default: all)" },
  N: { type: "string", description: `Solutions per problem (default: ${D.N})` },
  temperature: { type: "string", description: `Sampling temperature, 0 = greedy (default: ${D.temperature})` },
  top_p: { type: "string", description: `Nucleus sampling mass, in (0, 1] (default: ${D.topP})` },
  max_tokens: { type: "string", description: `Maximum tokens per solution (default: ${D.maxTokens})` },
  output_dir: { type: "string", description: `Output directory (default: ${D.outputDir})` },
  tensor_parallel_size: { type: "string", description: `GPUs to split the model's layers over (default: ${D.tensorParallelSize})` },
  gpu_memory_utilization: { type: "string", description: `Share of each GPU's memory the model and KV cache may use (default: ${D.gpuMemoryUtilization})` },
  dtype: { type: "string", description: `Unquantized GGUF type when --quantization is None: float16 → F16, bfloat16 → BF16, float32 → F32 (default: ${D.dtype})` },
  quantization: { type: "string", description: "GGUF type (Q4_K_M, Q8_0, …) or a vLLM method (awq/gptq/bitsandbytes → Q4_K_M, fp8/int8 → Q8_0) (default: None)" },
  seed: { type: "string", description: `Seed for the draws and for --num_samples (default: ${D.seed})` },
  system_prompt: { type: "string", description: "System prompt text, or @file to read it (default: the shipped assets/generator-system-prompt.txt)" },
  batch_width: { type: "string", description: "Sequences decoded together, for speed; CPU solutions never depend on it, CUDA ones only across kernel classes (default: N x problems up to 255 on GPU — llama.cpp's limit —, N up to 64 on CPU)" },
  ...runtimeArgs,
  ...outputPolicyArgs,
} as const;

export default defineCommand({
  meta: { name: "gen", description: "Sample N solutions per problem from a generator GGUF and write them as JSON (the seed's Step 1)" },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownFlags(rawArgs, args);
    const options = genOptionsFromArgs(a);
    validateGenOptions(options);
    const path = await withInterrupt("finished problems are saved and a re-run resumes", async (signal) => {
      // Imported here so `gen --help` and flag errors never load the native addon.
      const { runGen } = await import("../gen/run.js");
      return (await runGen(options, { signal })).path;
    });
    process.stdout.write(path + "\n");
  },
});

/** Defaults a caller (the demo) can put in place of gen's own. */
export type GenArgDefaults = Partial<Pick<GenOptions, "modelName" | "dataset" | "numSamples" | "N" | "maxTokens" | "outputDir" | "device" | "batchWidth">>;

/** Map parsed gen flags onto GenOptions (validated by validateGenOptions afterwards). */
export function genOptionsFromArgs(a: Record<string, any>, d: GenArgDefaults = {}): GenOptions {
  return {
    modelName: a.model_name ?? d.modelName ?? D.modelName,
    dataset: a.dataset ?? d.dataset ?? D.dataset,
    split: a.split ?? D.split,
    numSamples: a.num_samples === undefined ? d.numSamples : noneAsUndefined(a.num_samples) === undefined ? undefined : intFlag(a.num_samples, "num_samples", undefined, 1),
    N: intFlag(a.N, "N", d.N ?? D.N, 1)!,
    temperature: numberFlag(a.temperature, "temperature", D.temperature),
    topP: numberFlag(a.top_p, "top_p", D.topP),
    maxTokens: intFlag(a.max_tokens, "max_tokens", d.maxTokens ?? D.maxTokens, 1)!,
    outputDir: a.output_dir ?? d.outputDir ?? D.outputDir,
    tensorParallelSize: intFlag(a.tensor_parallel_size, "tensor_parallel_size", D.tensorParallelSize, 1)!,
    gpuMemoryUtilization: numberFlag(a.gpu_memory_utilization, "gpu_memory_utilization", D.gpuMemoryUtilization),
    dtype: a.dtype ?? D.dtype,
    quantization: noneAsUndefined(a.quantization) ?? null,
    seed: intFlag(a.seed, "seed", D.seed, 0)!,
    systemPrompt: systemPromptFlag(a.system_prompt),
    device: enumFlag(a.device, "device", DEVICES, d.device ?? D.device),
    threads: intFlag(a.threads, "threads", undefined, 1),
    batchWidth: intFlag(a.batch_width, "batch_width", d.batchWidth, 1),
    overwrite: Boolean(a.overwrite),
    resume: a.resume !== false,
  };
}

/** The seed's scripts take Python's `None` for "not set". */
function noneAsUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === "" || value.toLowerCase() === "none" ? undefined : value;
}

function systemPromptFlag(value: string | undefined): string {
  if (value === undefined) return defaultSystemPrompt();
  if (!value.startsWith("@")) return value;
  try {
    return readFileSync(value.slice(1), "utf8");
  } catch (error) {
    throw new UserError(`--system_prompt ${value}: cannot read ${value.slice(1)} (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
}
