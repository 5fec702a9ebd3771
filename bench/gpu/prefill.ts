import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import type { LlamaContext, Token } from "node-llama-cpp";
import { getRuntime } from "../../src/llama/runtime.js";
import { sh } from "./sh.js";

/**
 * Raw prefill rate of llama.cpp on this machine, below the scoring engine: C contexts of one
 * sequence each evaluate T tokens at once (no outputs), for each model × batch size × flash
 * attention. This is the ceiling `prm-rel score` works against (it adds read-outs, shorter suffixes
 * and its own bookkeeping); run it once per CUDA backend build to compare kernel paths.
 *
 *   node dist/bench/gpu/prefill.js --model a.gguf,b.gguf --configs 512,2048,2048+fa --contexts 1,8 --out x.json
 */
const { values: a } = parseArgs({
  options: {
    model: { type: "string" },
    configs: { type: "string", default: "512,2048,512+fa,2048+fa" },
    contexts: { type: "string", default: "1,8" },
    tokens: { type: "string", default: "2048" },
    reps: { type: "string", default: "3" },
    label: { type: "string", default: "" },
    out: { type: "string" },
  },
});
if (!a.model) throw new Error("--model PATH[,PATH…] is required");
const T = Number(a.tokens);
const reps = Number(a.reps);
const llama = await getRuntime({ device: "cuda" });
const rows: Record<string, unknown>[] = [];
const tokens = (c: number) => Array.from({ length: T }, (_, i) => (100 + ((i * 131 + c * 17) % 30000)) as Token);

for (const modelPath of a.model.split(",")) {
  const model = await llama.loadModel({ modelPath, gpuLayers: "max" });
  for (const config of a.configs!.split(",")) {
    const batchSize = Number(config.replace("+fa", ""));
    const flashAttention = config.endsWith("+fa");
    for (const C of a.contexts!.split(",").map(Number)) {
      const contexts: LlamaContext[] = [];
      try {
        for (let c = 0; c < C; c++) contexts.push(await model.createContext({ contextSize: T + 8, sequences: 1, batchSize, flashAttention }));
        const seqs = contexts.map((ctx) => ctx.getSequence());
        const once = async () => {
          await Promise.all(seqs.map((s) => s.clearHistory()));
          const t = performance.now();
          await Promise.all(seqs.map((s, c) => s.controlledEvaluate(tokens(c))));
          return (performance.now() - t) / 1000;
        };
        await once(); // warm-up
        let best = Infinity;
        for (let r = 0; r < reps; r++) best = Math.min(best, await once());
        const row = { label: a.label, model: basename(modelPath), batch: batchSize, fa: flashAttention, contexts: C, tokens_per_s: Math.round((C * T) / best), best_s: best };
        rows.push(row);
        console.log(JSON.stringify(row));
      } catch (error) {
        rows.push({ label: a.label, model: basename(modelPath), batch: batchSize, fa: flashAttention, contexts: C, error: String(error).slice(0, 300) });
        console.log(JSON.stringify(rows.at(-1)));
      } finally {
        for (const ctx of contexts) await ctx.dispose();
      }
    }
  }
  await model.dispose();
}
if (a.out) writeFileSync(a.out, JSON.stringify({ gpu: sh("nvidia-smi --query-gpu=name --format=csv,noheader"), date: new Date().toISOString(), tokens: T, rows }, null, 1));
