import { readFileSync } from "node:fs";
import { defineCommand } from "citty";
import { UserError } from "../errors.js";
import { checkGpuMemoryUtilization, DEFAULT_GPU_MEMORY_UTILIZATION, DEVICES, type Device } from "../llama/runtime.js";
import { DEFAULT_AGGREGATIONS, DEFAULT_THRESHOLDS, parseAggregations, parseThresholds } from "../score/aggregate.js";
import { DEFAULT_PRM, type ScoreOptions } from "../score/options.js";
import { renderDocument } from "../score/report.js";
import { enumFlag, intFlag, listFlag, numberFlag, rejectUnknownFlags, withInterrupt } from "./_shared.js";

const LIST_FLAGS = ["data_file", "token_thresholds", "aggregation_methods"];

const args = {
  data_file: { type: "string", description: "Data file(s) from `prm-rel gen` (required; several: one table each plus a pooled one)" },
  prm_model: { type: "string", description: `PRM: a known id, hf:<user>/<repo>/<file>.gguf, or a local .gguf (default: ${DEFAULT_PRM})` },
  token_thresholds: { type: "string", description: `Generator-token thresholds τ (default: ${DEFAULT_THRESHOLDS.join(" ")})` },
  aggregation_methods: { type: "string", description: `Aggregations: mean min last whole (default: ${DEFAULT_AGGREGATIONS.join(" ")})` },
  output_file: { type: "string", description: "Output JSON (default: <data file>_<prm>_prm_scores.json beside the data file)" },
  no_quantization: { type: "boolean", description: "F16 GGUF instead of the 4-bit stand-in (Q4_K_M)", default: false },
  device: { type: "string", description: "Where the PRM runs: cuda (default, as the seed) | cpu | auto", valueHint: "cuda|cpu|auto" },
  threads: { type: "string", description: "CPU threads for llama.cpp (default: all cores)" },
  tensor_parallel_size: { type: "string", description: "GPUs to split the PRM's layers over, e.g. 2 for the 72B PRM (default: 1)" },
  gpu_memory_utilization: { type: "string", description: `Share of each GPU's memory the PRM and its KV cache may use (default: ${DEFAULT_GPU_MEMORY_UTILIZATION})` },
  parallel: { type: "string", description: "Solutions in flight at once (default: 16 on a GPU, 2 on the CPU)" },
  prm_family: { type: "string", description: "Override the PRM family: qwen-prm-head | plus-minus" },
  generator_model: { type: "string", description: "Generator GGUF (or id) whose tokenizer τ counts in (default: from the data file, or the PRM's when shared)" },
  from_results: { type: "string", description: "Rebuild every table from a score output JSON, without a model" },
  flash_attention: { type: "boolean", description: "Flash attention in the PRM contexts (default: on with a GPU, 24–30% faster for a 7B PRM on an H200; off on the CPU, where it accumulates in f16). --no-flash_attention turns it off" },
  overwrite: { type: "boolean", description: "Replace an existing output made with other settings", default: false },
  json: { type: "boolean", description: "Print the result document (JSON) on stdout instead of the tables", default: false },
} as const;

export default defineCommand({
  meta: { name: "score", description: "Score partial solutions with a PRM at token thresholds; correlations with correctness and Best-of-N" },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownFlags(rawArgs, args, LIST_FLAGS);
    const print = (doc: unknown, tables: () => string) => process.stdout.write(a.json ? JSON.stringify(doc, null, 2) + "\n" : tables());

    if (a.from_results) {
      const { checkDocument } = await import("../score/run.js");
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(a.from_results, "utf8"));
      } catch (error) {
        throw new UserError(`cannot read --from_results ${a.from_results}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      const doc = checkDocument(json, a.from_results);
      print(doc, () => renderDocument(doc));
      return;
    }

    const dataFiles = listFlag(rawArgs, "data_file") ?? [];
    if (dataFiles.length === 0) throw new UserError("--data_file is required (a JSON file written by `prm-rel gen`)");
    const options = scoreOptionsFromArgs(a, rawArgs);

    await withInterrupt("the scored solutions are saved and a re-run resumes", async (signal) => {
      const { runScore } = await import("../score/run.js");
      const { document } = await runScore({ ...options, dataFiles, signal });
      print(document, () => renderDocument(document));
    });
  },
});

/** Defaults a caller (the demo) can put in place of score's own. */
export type ScoreArgDefaults = Partial<Pick<ScoreOptions, "prmModel" | "thresholds" | "device">>;

/** Map parsed score flags (list flags from the raw arguments) onto ScoreOptions, less the data files. */
export function scoreOptionsFromArgs(a: Record<string, any>, rawArgs: string[], d: ScoreArgDefaults = {}): Omit<ScoreOptions, "dataFiles"> {
  return {
    prmModel: a.prm_model ?? d.prmModel ?? DEFAULT_PRM,
    thresholds: parseThresholds(listFlag(rawArgs, "token_thresholds") ?? (d.thresholds ?? DEFAULT_THRESHOLDS).map(String)),
    aggregations: parseAggregations(listFlag(rawArgs, "aggregation_methods") ?? [...DEFAULT_AGGREGATIONS]),
    outputFile: a.output_file,
    noQuantization: Boolean(a.no_quantization),
    device: enumFlag(a.device, "device", DEVICES, d.device ?? "cuda") as Device,
    threads: intFlag(a.threads, "threads", undefined, 1),
    tensorParallelSize: intFlag(a.tensor_parallel_size, "tensor_parallel_size", 1, 1),
    gpuMemoryUtilization: checkGpuMemoryUtilization(numberFlag(a.gpu_memory_utilization, "gpu_memory_utilization", DEFAULT_GPU_MEMORY_UTILIZATION)),
    parallel: intFlag(a.parallel, "parallel", undefined, 1),
    prmFamily: a.prm_family,
    generatorModel: a.generator_model,
    flashAttention: a.flash_attention === undefined ? undefined : Boolean(a.flash_attention),
    overwrite: Boolean(a.overwrite),
  };
}
