/**
 * The benchmark's markdown summary, computed from results.json alone (so a later run can rebuild
 * it): each figure, the bars of issue 7, the ratios, and the FLOP floor (2 × matmul parameters ×
 * tokens over the bf16 matmul rate measured on the same card).
 */
const f0 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(0));
const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(1));
const f2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(2));

export interface Derived {
  rate?: number;
  score?: { wall_s: number; score_s: number; floor_s?: number; tok_s: number; bar_ok: boolean };
  hf?: { total_s: number; stderr?: number; by_tokens_s: number; floor_s?: number };
  ratio?: number;
  gen?: { best: any; full_tokens: number; full_s: number; late_factor?: number; full_s_late?: number; floor_s?: number; bw_floor_s?: number; prefill_s?: number; decode_s?: number };
}

export function derive(r: any): Derived {
  const d: Derived = {};
  const hf = r.stages?.hf;
  const rate = hf?.matmul_tflops ? hf.matmul_tflops * 1e12 : undefined;
  d.rate = rate;
  const body = r.settings?.params?.body as number;
  const head = r.settings?.params?.head as number;
  const H = r.settings?.shape_dims?.nEmbd as number;
  const s = r.stages?.score;
  if (s?.extrapolated_full_file) {
    const e = s.extrapolated_full_file;
    d.score = {
      wall_s: e.wall_s, score_s: e.score_s, tok_s: s.prm_tokens_per_s, bar_ok: e.wall_s <= 180,
      floor_s: rate ? (2 * body * e.tokens_evaluated) / rate : undefined,
    };
  }
  if (hf?.extrapolated_total_s) {
    const naive = s?.extrapolated_full_file?.naive_tokens;
    d.hf = {
      total_s: hf.extrapolated_total_s, stderr: hf.extrapolated_total_s_stderr,
      by_tokens_s: hf.seconds_per_token && s?.extrapolated_full_file ? hf.seconds_per_token * s.extrapolated_full_file.naive_tokens : NaN,
      floor_s: rate && naive ? (2 * (body + H * H + 2 * H) * naive) / rate : undefined,
    };
  }
  if (d.score && d.hf) d.ratio = d.hf.total_s / d.score.wall_s;
  const runs = (r.stages?.gen?.runs ?? []).filter((x: any) => x.decode_tokens_per_s);
  if (runs.length) {
    const best = runs.reduce((a: any, b: any) => (b.decode_tokens_per_s > a.decode_tokens_per_s ? b : a));
    const fullTokens = r.data?.total_tokens ?? 30 * 64 * 1100;
    const fullSeqs = (r.data?.problems ?? 30) * (r.data?.samples ?? 64);
    const dec = r.stages?.gen_decomp?.runs ?? [];
    const late = dec.find((x: any) => x.promptTokens > 300 && x.ms_per_step?.seqs_minp);
    const early = dec.find((x: any) => x.promptTokens === 300 && x.ms_per_step?.seqs_minp && x.width === late?.width);
    const lateFactor = early && late ? late.ms_per_step.seqs_minp / early.ms_per_step.seqs_minp : undefined;
    // Every prompt is prefilled alone (the engine's choice): per-prompt cost × all prompts, plus decoding.
    const prefillPerPrompt = best.prefill_s / (best.problems * best.N);
    const decode_s = fullTokens / best.decode_tokens_per_s;
    const full_s = prefillPerPrompt * fullSeqs + decode_s;
    const weightBytes = r.stages?.gen_model?.bytes;
    const bw = hf?.copy_gbps ? hf.copy_gbps * 1e9 : undefined;
    d.gen = {
      best, full_tokens: fullTokens, full_s,
      late_factor: lateFactor,
      // Context grows from the prompt to ~2048 during a run: average the early and late step costs.
      full_s_late: lateFactor ? prefillPerPrompt * fullSeqs + (decode_s * (1 + lateFactor)) / 2 : undefined,
      floor_s: rate ? (2 * (body + head) * fullTokens) / rate : undefined,
      bw_floor_s: bw && weightBytes && best.batch_width ? (fullTokens / best.batch_width) * (weightBytes / bw) : undefined,
      prefill_s: prefillPerPrompt * fullSeqs,
      decode_s,
    } as any;
  }
  return d;
}

export function renderMarkdown(r: any): string {
  const d = derive(r);
  const L: string[] = [];
  const hf = r.stages?.hf;
  L.push(`## Run ${r.date}`, "");
  L.push(`- card: ${r.host?.gpu || "?"}; ${r.host?.cpus} CPU threads (${r.host?.cpu}); UV_THREADPOOL_SIZE ${r.host?.uv_threadpool}`);
  L.push(`- command: \`${r.command}\``);
  L.push(`- shape ${r.settings?.shape} (${(r.settings?.params?.body / 1e9).toFixed(2)} B matmul params + ${(r.settings?.params?.head / 1e9).toFixed(2)} B LM head), GGUF type ${r.settings?.type}, random weights`);
  if (hf && !hf.error) {
    L.push(`- ceilings (torch ${hf.versions?.torch}): bf16 matmul ${f0(hf.matmul_tflops)} TFLOP/s (${hf.matmul_size}³, median of 10), device copy ${f0(hf.copy_gbps)} GB/s (read + write)`);
  }
  if (r.data) L.push(`- synthetic file: ${r.data.problems} × ${r.data.samples} solutions, mean ${f0(r.data.mean_tokens)} tokens, ${f0(r.data.at_cap * 100)}% at 2048, ${r.data.total_tokens} tokens in all`);
  L.push("");

  L.push("### Score (PRM, 6 τ × 4 aggregations)", "");
  const s = r.stages?.score;
  if (s?.extrapolated_full_file) {
    const e = s.extrapolated_full_file;
    L.push("| what | figure |", "| --- | --- |");
    L.push(`| measured: runScore on the first ${s.problems_scored} problems (${s.solutions} solutions) | ${f1(s.score_s)} s scoring + ${f1(s.load_s)} s load (${s.sequences} in flight as ${s.layout ?? "?"} contexts × sequences, batch ${s.batch_size}) |`);
    for (const x of s.layouts?.length > 1 ? s.layouts : []) {
      const what = x.skipped ?? (x.error ? `failed: ${String(x.error).split("\n")[0].slice(0, 120)}` : `${f1(x.score_s)} s scoring, ${f0(x.prm_tokens_per_s)} PRM tok/s${rewardDiffNote(x.max_reward_diff_vs_first)}`);
      L.push(`| layout ${x.layout} | ${what} |`);
    }
    L.push(`| PRM tokens evaluated / naive method's tokens | ${s.tokens?.evaluated} / ${s.tokens?.naive} (${f1(s.tokens?.ratio)}× fewer) |`);
    L.push(`| PRM tokens/s (evaluated) | ${f0(s.prm_tokens_per_s)} |`);
    L.push(`| **full file, extrapolated ×${f1(e.factor)}** | **${f0(e.wall_s)} s wall** (${f0(e.score_s)} s scoring) — bar ≤ 180 s: ${d.score?.bar_ok ? "met" : "missed"} |`);
    if (d.score?.floor_s) L.push(`| FLOP floor for those tokens (2 × ${(r.settings.params.body / 1e9).toFixed(2)} B × ${(e.tokens_evaluated / 1e6).toFixed(2)} M / ${f0(hf.matmul_tflops)} TFLOP/s) | ${f1(d.score.floor_s)} s → measured is ${f1(e.score_s / d.score.floor_s)}× the floor |`);
  } else if (s) L.push(`score: ${s.skipped ?? s.error}`);
  const sd = r.stages?.score_decomp?.runs ?? [];
  if (sd.length) {
    L.push("", "Prefill decomposition (sequences evaluated at once, node-llama-cpp batching them):", "", "| sequences × tokens | batch | no outputs tok/s | with Qwen-head read-outs tok/s | read-outs per sequence | ms per read-out |", "| --- | --- | --- | --- | --- | --- |");
    for (const x of sd) L.push(`| ${x.sequences} × ${x.length} | ${x.batchSize} | ${x.plain_tokens_per_s} | ${x.readout_tokens_per_s} | ${x.positions} | ${f2(x.ms_per_readout)} |`);
  }
  L.push("");

  L.push("### Original method (HF transformers bf16, fresh forward per partial solution per aggregation)", "");
  if (hf && !hf.error) {
    L.push("| what | figure |", "| --- | --- |");
    L.push(`| timed | ${hf.forwards_timed} of ${hf.forwards_total} forwards (uniform random sample), mean ${f1(hf.mean_forward_s * 1000)} ms at ${f0(hf.mean_forward_tokens)} tokens, ${f0(hf.tokens_per_s)} tok/s |`);
    L.push(`| **full file, extrapolated** (mean × count) | **${f0(hf.extrapolated_total_s)} s** ± ${f0(hf.extrapolated_total_s_stderr)} (time-per-token × the naive tokens of the full file: ${f0(d.hf?.by_tokens_s)} s) |`);
    if (d.hf?.floor_s) L.push(`| FLOP floor for the naive tokens | ${f0(d.hf.floor_s)} s → measured is ${f1(d.hf.total_s / d.hf.floor_s)}× the floor |`);
    if (d.ratio) L.push(`| **ratio HF / prm-rel (wall, full file)** | **${f1(d.ratio)}×** — bar ≥ 10×: ${d.ratio >= 10 ? "met" : "missed"} |`);
    L.push(`| versions | torch ${hf.versions?.torch}, transformers ${hf.versions?.transformers}, attention ${hf.attn_implementation}, init ${f1(hf.init_s)} s, peak ${f1(hf.peak_memory_gib)} GiB |`);
  } else if (hf) L.push(`HF baseline: ${hf.error ?? hf.skipped}`);
  L.push("");

  L.push(`### Gen (runGen, temperature 0.8, top_p 0.9, ${r.stages?.gen?.max_tokens} tokens per sequence)`, "");
  const runs = r.stages?.gen?.runs ?? [];
  if (runs.length) {
    // Runs made before the direct engine existed have no `engine`: they used controlledEvaluate.
    L.push("| problems × N | engine | width | tokens/s overall | s | of which prefill s | tokens/s decoding | decodes | draws / full-vocabulary redraws | same solutions |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const x of runs) {
      const same = x.same_solutions_as_first_engine === undefined ? "" : x.same_solutions_as_first_engine ? "yes" : "**NO**";
      if (x.tokens_per_s) L.push(`| ${x.problems} × ${x.N} | ${x.engine ?? "controlled"} | ${x.batch_width} | ${f0(x.tokens_per_s)} | ${f1(x.seconds)} | ${f1(x.prefill_s)} | **${f0(x.decode_tokens_per_s)}** | ${x.decodes} | ${x.draws ?? "?"} / ${x.full_vocabulary_redraws ?? JSON.stringify(x.draws_by_candidate_level)} | ${same} |`);
      else L.push(`| ${x.config} | ${x.engine ?? ""} | – | ${x.skipped ?? "error: " + String(x.error).split("\n")[0]} | | | | | | |`);
    }
    if (d.gen) {
      const g = d.gen;
      L.push("");
      L.push(`- full run (${r.data?.problems} × ${r.data?.samples}, ${(g.full_tokens / 1e6).toFixed(2)} M tokens), extrapolated from ${g.best.problems} × ${g.best.N} (width ${g.best.batch_width}): prompts ${f0((g as any).prefill_s)} s (${f2(g.best.prefill_s / (g.best.problems * g.best.N) * 1000)} ms each, prefilled one at a time) + decoding ${f0((g as any).decode_s)} s at ${f0(g.best.decode_tokens_per_s)} tok/s = **${f0(g.full_s)} s**` +
        (g.full_s_late ? `; ${f0(g.full_s_late)} s allowing for longer contexts late in a run (late/early step cost ${f2(g.late_factor)})` : "") +
        ` — bar ≤ 600 s: ${(g.full_s_late ?? g.full_s) <= 600 ? "met" : "missed"}`);
      if (g.floor_s) L.push(`- FLOP floor for those tokens: ${f0(g.floor_s)} s; weight-streaming floor at width ${g.best.batch_width}: ${f0(g.bw_floor_s)} s → the extrapolated run is ${f1((g.full_s_late ?? g.full_s) / g.floor_s)}× the FLOP floor`);
    }
  }
  const dec = r.stages?.gen_decomp?.runs ?? [];
  if (dec.length) {
    L.push(
      "", "Where a lock-step step goes (ms per step; tokens/s in brackets). Columns add one cost each: the GPU's W-token decode; " +
        "W sequences (node-llama-cpp's per-sequence cost); every sequence returning the top 64 / top 4096 probabilities; the gen engine's own " +
        "request (min-p cut; mean tokens returned per sequence in the cell); runGen's whole step (engine JS, pickToken, bookkeeping).", "",
      "| width | context | GPU, one W-token batch | W seqs, 1 output | W seqs, top-64 | W seqs, top-4096 | W seqs, engine request | runGen |", "| --- | --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const x of dec) {
      if (x.error) {
        L.push(`| ${x.width} | ${x.promptTokens} | error: ${x.error} | | | | | |`);
        continue;
      }
      const m = x.ms_per_step;
      const g = runs.find((y: any) => y.batch_width === x.width && y.decode_tokens_per_s);
      const cell = (k: string) => (m[k] ? `${f1(m[k])} (${x.tokens_per_s[k]})` : "–");
      const minp = m.seqs_minp ? `${cell("seqs_minp")}; ${f0(x.minp_mean_tokens)} tokens` : "–";
      L.push(`| ${x.width} | ${x.promptTokens} | ${cell("gpu_batch")} | ${cell("seqs_1out")} | ${cell("seqs_topk64")} | ${cell("seqs_topk4096")} | ${minp} | ${g && x.promptTokens === 300 ? `${f1((x.width / g.decode_tokens_per_s) * 1000)} (${f0(g.decode_tokens_per_s)})` : "–"} |`);
    }
  }
  L.push("");
  for (const [k, v] of Object.entries(r.stages ?? {})) {
    if ((v as any)?.error && k !== "hf") L.push(`- stage ${k} failed: ${String((v as any).error).split("\n")[0]}`);
    if ((v as any)?.skipped) L.push(`- stage ${k} skipped: ${(v as any).skipped}`);
  }
  if (r.total_s) L.push(`- benchmark wall time: ${f0(r.total_s)} s`);
  return L.join("\n") + "\n";
}

/** A layout's rewards against the first layout's (bench/gpu/rewards.ts): "" for the first itself. */
function rewardDiffNote(diff: number | string | undefined): string {
  if (typeof diff === "string") return `, rewards: ${diff}`;
  return diff ? `, rewards within ${diff.toExponential(1)} of the first layout's` : "";
}
