import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { GgmlType } from "../../src/gguf/constants.js";
import { AGGREGATIONS, DEFAULT_THRESHOLDS } from "../../src/score/aggregate.js";
import { runScore } from "../../src/score/run.js";
import { BENCH_SHAPES, writeBenchModel } from "./models.js";
import { documentRewards, maxRewardDifference } from "./rewards.js";
import { sh } from "./sh.js";
import { synthGenFile } from "./synth.js";

/**
 * `node dist/bench/gpu/tp.js` — checks `--tensor_parallel_size` on a machine with several GPUs:
 * one random-weight PRM of a real shape (e.g. qwen2.5-72b Q4_0, ≈ 41 GB), a small synthetic gen
 * file, then `runScore` once per size in --tp (each in its own process: CUDA_VISIBLE_DEVICES is
 * read once per process), while this process samples every card's memory use with nvidia-smi.
 * Reports per size: the cards that held the model (peak MiB above the idle baseline), load and
 * scoring time, PRM tokens/s, and the largest reward difference (step and whole) from the first size.
 * Writes tp.json and tp.md to --out.
 */
const { values: a } = parseArgs({
  options: {
    shape: { type: "string", default: "qwen2.5-7b" },
    type: { type: "string", default: "q4_0" },
    tp: { type: "string", default: "1,2" },
    problems: { type: "string", default: "2" },
    samples: { type: "string", default: "8" },
    out: { type: "string", default: process.env.OUT ?? "bench-tp-out" },
    work: { type: "string", default: "/tmp/prm-rel-bench" },
    // internal: one scoring run
    child: { type: "boolean", default: false },
    size: { type: "string", default: "1" },
    model: { type: "string", default: "" },
    data: { type: "string", default: "" },
    result: { type: "string", default: "" },
  },
});
const type = a.type === "f16" ? GgmlType.F16 : GgmlType.Q4_0;

if (a.child) {
  const outputFile = a.result!.replace(/\.json$/, "-scores.json");
  const run = await runScore({
    dataFiles: [a.data!], prmModel: a.model!, thresholds: [...DEFAULT_THRESHOLDS], aggregations: [...AGGREGATIONS],
    outputFile, noQuantization: type === GgmlType.F16, device: "cuda", overwrite: true, tensorParallelSize: Number(a.size),
  });
  const m = run.document.metadata as any;
  const rewards = documentRewards(run.document);
  writeFileSync(a.result!, JSON.stringify({ size: Number(a.size), timings: m.timings, tokens: m.tokens, sequences: m.prm.sequences, rewards }));
  process.exit(0);
}

const memory = (): number[] => sh("nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits").split("\n").filter(Boolean).map(Number);
const out = resolve(a.out!);
const work = resolve(a.work!);
mkdirSync(out, { recursive: true });
mkdirSync(work, { recursive: true });
const say = (...m: unknown[]) => console.error("[tp]", ...m);
if (!BENCH_SHAPES[a.shape!]) throw new Error(`unknown shape ${a.shape}; use one of ${Object.keys(BENCH_SHAPES).join(", ")}`);

const results: any = { date: new Date().toISOString(), gpus: sh("nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader"), settings: a, runs: [] };
const save = () => {
  writeFileSync(join(out, "tp.json"), JSON.stringify(results, null, 1));
  const rows = results.runs.map((r: any) =>
    `| ${r.size} | ${r.error ? `failed: ${String(r.error).slice(0, 120)}` : r.peak_mib_above_idle.map((x: number, i: number) => `GPU${i} ${x}`).join(", ")} | ${r.load_s?.toFixed(1) ?? ""} | ${r.score_s?.toFixed(1) ?? ""} | ${r.tokens_per_s?.toFixed(0) ?? ""} | ${r.max_reward_diff ?? ""} |`);
  writeFileSync(join(out, "tp.md"), [`${results.gpus}`, "", `model: ${a.shape} ${a.type} (${results.model_bytes ?? "?"} bytes), ${a.problems} × ${a.samples} solutions`, "",
    "| tensor_parallel_size | peak MiB above idle, per card | load s | score s | PRM tok/s | max reward diff vs first |", "| --- | --- | --- | --- | --- | --- |", ...rows, ""].join("\n"));
};

const modelPath = join(work, `prm-${a.shape}-${a.type}.gguf`);
if (!existsSync(modelPath)) {
  say(`writing ${modelPath}…`);
  const w = await writeBenchModel(modelPath, { shape: a.shape!, type: type as GgmlType.F16 | GgmlType.Q4_0, role: "prm" });
  results.model_write_s = w.seconds;
}
results.model_bytes = Number(sh(`stat -c %s ${modelPath}`));
const dataPath = join(work, `tp-data-${a.problems}x${a.samples}.json`);
writeFileSync(dataPath, JSON.stringify(synthGenFile({ problems: Number(a.problems), samples: Number(a.samples), modelName: `bench/Qwen2.5-${a.shape}-shape-random (${a.type})` }).file));

const self = fileURLToPath(import.meta.url);
let first: number[] | undefined;
for (const size of a.tp!.split(",").map(Number)) {
  const idle = memory();
  const peak = idle.slice();
  const resultPath = join(work, `tp-${size}.json`);
  say(`tensor_parallel_size ${size}: scoring…`);
  const t = performance.now();
  const timer = setInterval(() => memory().forEach((m, i) => (peak[i] = Math.max(peak[i] ?? 0, m))), 500);
  const code = await new Promise<number | null>((res) => {
    const child = spawn(process.execPath, [self, "--child", "--size", String(size), "--model", modelPath, "--data", dataPath, "--result", resultPath, "--type", a.type!], { stdio: ["ignore", "inherit", "inherit"] });
    child.on("exit", res);
  });
  clearInterval(timer);
  const run: any = { size, wall_s: (performance.now() - t) / 1000, idle_mib: idle, peak_mib_above_idle: peak.map((p, i) => p - (idle[i] ?? 0)) };
  if (code !== 0 || !existsSync(resultPath)) run.error = `child exited with ${code}`;
  else {
    const r = JSON.parse(readFileSync(resultPath, "utf8"));
    Object.assign(run, { load_s: r.timings.load_s, score_s: r.timings.score_s, tokens_evaluated: r.tokens.evaluated, tokens_per_s: r.tokens.evaluated / r.timings.score_s, sequences: r.sequences });
    if (!first) first = r.rewards;
    else run.max_reward_diff = maxRewardDifference(r.rewards, first);
  }
  results.runs.push(run);
  say(JSON.stringify(run));
  save();
}
save();
console.log(readFileSync(join(out, "tp.md"), "utf8"));
