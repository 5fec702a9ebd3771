import { defineCommand, type ArgsDef, type CommandDef } from "citty";
import { DEVICES, type Device } from "../llama/runtime.js";
import { log } from "../log.js";
import { validateGenOptions } from "../gen/options.js";
import { DEMO_DEFAULTS as DD } from "../demo/run.js";
import { enumFlag, rejectUnknownFlags, withInterrupt } from "./_shared.js";
import genCommand, { genOptionsFromArgs } from "./gen.js";
import scoreCommand, { scoreOptionsFromArgs } from "./score.js";

const LIST_FLAGS = ["token_thresholds", "aggregation_methods"];
/** score flags that make no sense here: the demo scores the file its gen step wrote. */
const SCORE_ONLY_ELSEWHERE = ["data_file", "from_results"];

/** Demo defaults shown in --help instead of gen's and score's own. */
const OVERRIDES: Record<string, string> = {
  model_name: "Generator (default: the embedded models/demo/generator.gguf)",
  dataset: "Data set (default: the embedded data/demo/arith.jsonl, 300 arithmetic word problems)",
  num_samples: `Number of problems to pick, reproducibly from --seed (default: ${DD.numSamples})`,
  N: `Solutions per problem (default: ${DD.N})`,
  max_tokens: `Maximum tokens per solution (default: ${DD.maxTokens})`,
  output_dir: `Where the gen output and the score output go (default: ${DD.outputDir})`,
  prm_model: "PRM (default: the embedded models/demo/prm.gguf)",
  token_thresholds: `Generator-token thresholds τ (default: ${DD.thresholds.join(" ")})`,
  device: `Where both models run: cpu | auto | cuda (default: ${DD.device})`,
  batch_width: `Sequences decoded together; speed only, never the results (default: ${DD.cpuBatchWidth} on the CPU, gen's default elsewhere)`,
  overwrite: "Replace existing gen/score outputs made with other settings",
};

async function argsOf(cmd: CommandDef<any>): Promise<ArgsDef> {
  const a = cmd.args;
  return (typeof a === "function" ? await a() : await a) ?? {};
}

/** Every flag of `gen` and of `score` (one `--device`, `--threads`, `--overwrite` for both). */
async function demoArgs(): Promise<ArgsDef> {
  const merged: ArgsDef = { ...(await argsOf(genCommand)), ...(await argsOf(scoreCommand)) };
  for (const name of SCORE_ONLY_ELSEWHERE) delete merged[name];
  for (const [name, description] of Object.entries(OVERRIDES)) {
    if (merged[name]) merged[name] = { ...merged[name], description } as ArgsDef[string];
  }
  return merged;
}

export default defineCommand({
  meta: {
    name: "demo",
    description:
      "Run the whole study on the embedded tiny models: gen then score (20 problems x N=16 on the CPU by default), " +
      "printing the correlation tables and Best-of-N. Every flag of gen and score can be passed.",
  },
  args: demoArgs,
  async run({ args: a, rawArgs }) {
    rejectUnknownFlags(rawArgs, await demoArgs(), LIST_FLAGS);
    const device = enumFlag(a.device, "device", DEVICES, DD.device) as Device;
    const gen = genOptionsFromArgs(a, {
      modelName: DD.modelName,
      dataset: DD.dataset,
      numSamples: DD.numSamples,
      N: DD.N,
      maxTokens: DD.maxTokens,
      outputDir: DD.outputDir,
      device: DD.device,
      // All 16 samples of 4 problems per decode: 3x the CPU throughput of gen's own default (N).
      batchWidth: device === "cpu" ? DD.cpuBatchWidth : undefined,
    });
    validateGenOptions(gen);
    const score = scoreOptionsFromArgs(a, rawArgs, { prmModel: DD.prmModel, thresholds: [...DD.thresholds], device: DD.device });

    await withInterrupt("finished work is saved and a re-run resumes it", async (signal) => {
      // Imported here so `demo --help` and flag errors never load the native addon.
      const { runDemo } = await import("../demo/run.js");
      const t0 = performance.now();
      const run = await runDemo(gen, { ...score, signal }, { signal });
      const total = (performance.now() - t0) / 1000;
      log.success(`demo done in ${total.toFixed(1)} s (gen ${run.seconds.gen.toFixed(1)} s, score ${run.seconds.score.toFixed(1)} s): ${run.genPath}, ${run.scorePath}`);
      const { renderDocument } = await import("../score/report.js");
      process.stdout.write(a.json ? JSON.stringify(run.document, null, 2) + "\n" : renderDocument(run.document));
    });
  },
});
