import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Session } from "node:inspector";
import { parseArgs } from "node:util";
import type { LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { GgmlType } from "../src/gguf/constants.js";
import { openGenContext } from "../src/gen/context.js";
import { runLockstep as runCurrent, type EngineOptions, type GenJob } from "../src/gen/engine.js";
import type { GenEngine } from "../src/gen/step.js";
import { getRuntime } from "../src/llama/runtime.js";
import { writeBenchModel } from "./gpu/models.js";

/**
 * `node dist/bench/gen-host.js` — the gen engine's per-step HOST cost (the JS main thread), on a
 * CPU, with a random-weight model of Qwen's 152k vocabulary and a confident logit profile
 * (bench/gpu/models.ts, shape tiny-152k: the decode is cheap, the sampling is real-sized).
 * Runs the lock-step engine (src/gen/engine.ts) and, with `--baseline DIR` (the dist/src/gen of an
 * older build, e.g. a `git worktree` of an earlier commit, built), that engine side by side in the
 * same process; checks both draw the same tokens, and reports
 * per step: wall and main-thread CPU of the native decode, of the sampleToken calls (first call
 * to last result), of the JS work after them (candidates, pickToken, bookkeeping) and before the
 * decode; "busy" is the event loop's active time (performance.eventLoopUtilization), which on 2
 * cores also counts time the thread waits for a core (the libuv samplers and the decode compete
 * with it). The whole run's main-thread CPU comes from /proc/thread-self/schedstat.
 * `--profile DIR` writes a V8 CPU profile of each run's measured steps (in process, through
 * node:inspector; `node --cpu-prof` would also catch model loading and prefill); summarise them
 * with `node dist/bench/cpuprofile-top.js DIR/*.cpuprofile`.
 */
const { values: a } = parseArgs({
  options: {
    width: { type: "string", default: "128" },
    steps: { type: "string", default: "40" },
    rounds: { type: "string", default: "2" },
    // dist/src/gen folder of another build to compare against (its engine.js is imported).
    baseline: { type: "string", default: "" },
    contexts: { type: "string", default: "1" },
    // Step path (src/gen/step.ts): direct (the default) or controlled.
    engine: { type: "string", default: "direct" },
    // drawRequest's tail target (default: the engine's, 1e-4): how the host cost scales with candidates a row.
    "tail-target": { type: "string", default: "" },
    threads: { type: "string", default: "2" },
    model: { type: "string", default: "/tmp/prm-rel-gen-host/tiny-152k.gguf" },
    out: { type: "string", default: "" },
    // Write a V8 CPU profile of each run's measured steps (warm-up and prefill left out) here.
    profile: { type: "string", default: "" },
    // No per-step probes (they cost the main thread a little): main-thread CPU per step and token only.
    bare: { type: "boolean", default: false },
  },
});

const runBaseline: typeof runCurrent | undefined = a.baseline ? (await import(pathToFileURL(resolve(a.baseline, "engine.js")).href)).runLockstep : undefined;
const width = Number(a.width);
const steps = Number(a.steps);
const SKIP = 2; // warm-up steps left out of the medians

/**
 * Main-thread CPU so far, in ms (Linux: the scheduler's run time of this thread; it is only brought
 * up to date at ticks and switches, so it is read for whole runs, not per step).
 */
function mainCpuMs(): number {
  return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6;
}

interface Mark {
  wall: number;
  /** Event-loop busy time so far (ms): exact at any grain, but counts time the thread waits for a core. */
  busy: number;
}
const mark = (): Mark => ({ wall: performance.now(), busy: performance.eventLoopUtilization().active });

interface StepTimes {
  total: Mark;
  decode: Mark;
  sample: Mark;
  after: Mark;
  before: Mark;
  rows: number;
  candidates: number;
}

/**
 * Time one context's decodes and sampleToken calls by wrapping its native handle (own properties
 * over the ones output-reorder.ts and the decoder install; the engine code is untouched).
 */
function instrument(context: LlamaContext) {
  const ctx = (context as any)._ctx;
  const state = {
    decodeStart: undefined as Mark | undefined,
    decodeEnd: undefined as Mark | undefined,
    sampleStart: undefined as Mark | undefined,
    sampleEnd: undefined as Mark | undefined,
    pending: 0,
    rows: 0,
    candidates: 0,
  };
  if (a.bare) return state;
  const decode = ctx.decodeBatch;
  const sample = ctx.sampleToken;
  const own = (name: string, value: unknown) => Object.defineProperty(ctx, name, { value, writable: true, configurable: true });
  own("decodeBatch", async (...args: unknown[]) => {
    const start = mark();
    const r = await decode.apply(ctx, args);
    // Only the lock-step decode of the whole batch counts (prefills are decoded alone, in between).
    state.decodeStart = start;
    state.decodeEnd = mark();
    state.sampleStart = state.sampleEnd = undefined;
    state.rows = state.candidates = 0;
    return r;
  });
  own("sampleToken", (...args: unknown[]) => {
    if (state.sampleStart === undefined) state.sampleStart = mark();
    state.pending++;
    return sample.apply(ctx, args).then((r: any) => {
      state.rows++;
      state.candidates += Array.isArray(r?.[1]) ? r[1].length / 2 : 0;
      if (--state.pending === 0) state.sampleEnd = mark();
      return r;
    });
  });
  return state;
}

/** A CPU profiler of this thread, started and stopped around the measured steps. */
function profiler(dir: string, name: string) {
  if (!dir) return { start() {}, stop: async () => {} };
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  let started: Promise<unknown> | undefined;
  return {
    start() {
      started ??= post("Profiler.enable").then(() => post("Profiler.setSamplingInterval", { interval: 500 })).then(() => post("Profiler.start"));
    },
    async stop() {
      if (!started) return;
      await started;
      const { profile } = await post("Profiler.stop");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

interface RunResult {
  impl: string;
  steps: StepTimes[];
  /** Main-thread CPU (schedstat) at each step's end (one engine only). */
  cpuAt: number[];
  wallMs: number;
  mainCpuMs: number;
  busyMs: number;
  tokens: number;
  draws: number;
  redraws: number;
  digest: string;
}

async function runOnce(model: LlamaModel, impl: "current" | "baseline", prompts: Token[][], vocabSize: number, round: number): Promise<RunResult> {
  const prof = profiler(a.profile, `${impl}-w${width}-r${round}`);
  const nContexts = Number(a.contexts);
  const maxPrompt = Math.max(...prompts.map((p) => p.length));
  const contexts = [];
  for (let c = 0; c < nContexts; c++) contexts.push(await openGenContext(model, { width, maxPrompt, maxTokens: steps }));
  const samples = Math.ceil(width / 2);
  const jobs: GenJob[] = prompts.map((prompt, i) => ({ position: i, index: i, prompt }));
  const outputs = new Map<number, string>();
  const times: StepTimes[] = [];
  const cpuAt: number[] = [];
  const run = impl === "current" ? runCurrent : runBaseline!;
  const t0 = mark();
  const cpu0 = mainCpuMs();
  try {
    const engines = contexts.map((c, e) => {
      const probe = instrument(c.context);
      let last = mark();
      const opts: EngineOptions = {
        model, context: c.context, width: c.width, vocabSize, samples, maxTokens: steps, seed: 7, engine: a.engine as GenEngine,
        tailTarget: a["tail-target"] ? Number(a["tail-target"]) : undefined,
        sampler: { temperature: 0.8, topP: 0.9 },
        onStep: () => {
          const now = mark();
          if (nContexts === 1) cpuAt.push(mainCpuMs());
          if (nContexts === 1 && probe.decodeStart && probe.decodeEnd && probe.sampleStart && probe.sampleEnd) {
            const d = (x: Mark, y: Mark): Mark => ({ wall: y.wall - x.wall, busy: y.busy - x.busy });
            times.push({
              total: d(last, now), before: d(last, probe.decodeStart), decode: d(probe.decodeStart, probe.decodeEnd),
              sample: d(probe.sampleStart, probe.sampleEnd), after: d(probe.sampleEnd, now), rows: probe.rows, candidates: probe.candidates,
            });
          }
          last = now;
          if (cpuAt.length === SKIP) prof.start();
        },
        onProblem: (job, out) => void outputs.set(job.index, JSON.stringify(out)),
      };
      return run(opts, jobs.filter((_, j) => j % nContexts === e));
    });
    const stats = await Promise.all(engines);
    const end = mark();
    const cpu1 = mainCpuMs();
    await prof.stop();
    const digest = createHash("sha256").update([...outputs.entries()].sort((x, y) => x[0] - y[0]).map((x) => x[1]).join("\n")).digest("hex").slice(0, 16);
    const sum = (k: "generatedTokens" | "draws" | "fullRedraws") => stats.reduce((s, x) => s + x[k], 0);
    return { impl, steps: times, cpuAt, wallMs: end.wall - t0.wall, mainCpuMs: cpu1 - cpu0, busyMs: end.busy - t0.busy, tokens: sum("generatedTokens"), draws: sum("draws"), redraws: sum("fullRedraws"), digest };
  } finally {
    for (const c of contexts) await c.context.dispose();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Per-step medians (ms), warm-up steps left out. */
function summarize(r: RunResult) {
  const st = r.steps.slice(SKIP);
  const m = (f: (s: StepTimes) => number) => Math.round(median(st.map(f)) * 100) / 100;
  // Main-thread CPU per step: over the measured steps as a whole (schedstat is coarse per read).
  const cpu = r.cpuAt.slice(SKIP);
  const cpuPerStep = cpu.length > 1 ? (cpu[cpu.length - 1] - cpu[0]) / (cpu.length - 1) : NaN;
  return {
    impl: r.impl, digest: r.digest, steps: cpu.length, mainCpuPerStep: Math.round(cpuPerStep * 100) / 100, draws: r.draws, redraws: r.redraws,
    rows: m((s) => s.rows), candidatesPerRow: m((s) => s.candidates / Math.max(1, s.rows)),
    wall: { total: m((s) => s.total.wall), before: m((s) => s.before.wall), decode: m((s) => s.decode.wall), sample: m((s) => s.sample.wall), after: m((s) => s.after.wall) },
    busy: { total: m((s) => s.total.busy), before: m((s) => s.before.busy), decode: m((s) => s.decode.busy), sample: m((s) => s.sample.busy), after: m((s) => s.after.busy) },
    run: { wallMs: Math.round(r.wallMs), mainCpuMs: Math.round(r.mainCpuMs), busyMs: Math.round(r.busyMs), tokens: r.tokens, mainCpuUsPerToken: Math.round((r.mainCpuMs / Math.max(1, r.tokens)) * 1e4) / 10 },
  };
}

/** Per implementation, the median over rounds of each per-step figure (ms), and current / baseline. */
function renderSummary(results: ReturnType<typeof summarize>[]): string {
  const rowsOf: [string, (r: ReturnType<typeof summarize>) => number][] = [
    ["main-thread CPU / token, whole run (µs)", (r) => r.run.mainCpuUsPerToken],
    ["main-thread CPU / step (schedstat)", (r) => r.mainCpuPerStep],
    ["event-loop busy / step", (r) => r.busy.total],
    ["  busy in the sampleToken window", (r) => r.busy.sample],
    ["  busy after it (draws, bookkeeping)", (r) => r.busy.after],
    ["  busy before the decode", (r) => r.busy.before],
    ["wall / step", (r) => r.wall.total],
    ["  native decode (wall)", (r) => r.wall.decode],
    ["  sampleToken calls (wall)", (r) => r.wall.sample],
    ["  after them (wall)", (r) => r.wall.after],
  ];
  const impls = [...new Set(results.map((r) => r.impl))];
  const med = (impl: string, f: (r: ReturnType<typeof summarize>) => number) => median(results.filter((r) => r.impl === impl).map(f));
  const lines = [`per step, ms unless said (median of ${results.length / impls.length} runs each; width ${width}, ${a.contexts} context(s), ${a.engine}${a.bare ? ", bare" : ""})`, ["", ...impls, impls.length === 2 ? "ratio" : ""].join("\t")];
  for (const [label, f] of rowsOf) {
    const v = impls.map((i) => med(i, f));
    lines.push([label, ...v.map((x) => x.toFixed(2)), v.length === 2 ? (v[1] / v[0]).toFixed(3) : ""].join("\t"));
  }
  return lines.join("\n");
}

async function main() {
  if (!existsSync(a.model)) {
    mkdirSync(join(a.model, ".."), { recursive: true });
    const w = await writeBenchModel(a.model, { shape: "tiny-152k", type: GgmlType.F16, role: "gen", logitStd: 8 });
    console.error(`wrote ${a.model} (${(w.bytes / 2 ** 20).toFixed(1)} MiB, ${w.seconds.toFixed(1)} s)`);
  }
  const llama = await getRuntime({ device: "cpu", threads: Number(a.threads) });
  const model = await llama.loadModel({ modelPath: a.model });
  try {
    const vocabSize = (model.fileInfo.metadata as any).tokenizer.ggml.tokens.length as number;
    // Two problems (the engine refills slots with the next problem's samples): all slots run the whole way.
    const prompts = ["Problem 1: what is 2+3? Think step by step.", "Problem 2: each box holds 6 eggs; how many in 4 boxes?"].map((t) => model.tokenize(t));
    const impls = runBaseline ? (["baseline", "current"] as const) : (["current"] as const);
    const results: ReturnType<typeof summarize>[] = [];
    for (let r = 0; r < Number(a.rounds); r++) {
      // Alternate the order each round, so neither side always runs on a warmer machine.
      const order = r % 2 === 0 ? impls : [...impls].reverse();
      for (const impl of order) {
        const s = summarize(await runOnce(model, impl, prompts, vocabSize, r));
        results.push(s);
        console.log(JSON.stringify({ round: r, width, contexts: Number(a.contexts), ...s }));
      }
    }
    console.log(renderSummary(results));
    const digests = new Set(results.map((r) => r.digest));
    console.log(digests.size === 1 ? `outputs identical across runs (${[...digests][0]})` : `OUTPUTS DIFFER: ${[...digests].join(" ")}`);
    if (a.out) writeFileSync(a.out, JSON.stringify(results, null, 1));
    if (digests.size !== 1) process.exitCode = 1;
  } finally {
    await model.dispose();
  }
}

await main();
