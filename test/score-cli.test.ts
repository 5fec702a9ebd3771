import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTinyModel, writeTinyModel } from "../src/gguf/tiny.js";
import { makeTinyQwenPrm } from "../src/prm/tiny.js";
import { projectRoot } from "../src/util/version.js";

const dir = mkdtempSync(join(tmpdir(), "prm-rel-score-cli-"));
const STEPS = ["Let x be the number of boxes.", "Each box holds 6 eggs, so 6x = 24.", "Then x = 4.", "The total cost is 12 dollars.", "So the answer is $\\boxed{4}$."];

function dataFile(name: string, opts: { long?: boolean; metadata?: Record<string, unknown> } = {}): string {
  const results = [0, 1, 2].map((p) => ({
    index: p,
    question: `Problem ${p}: how many boxes hold ${24 + p} eggs?`,
    gold_answer: p === 1 ? "4" : 4,
    solutions: [0, 1, 2, 3].map((s) => {
      const steps = STEPS.slice(0, 2 + ((p + s) % 3));
      steps.push(s % 2 ? `So the answer is $\\boxed{${3 + p}}$.` : STEPS[4]);
      const text = (opts.long ? STEPS.join(" ").repeat(40) + "\n\n" : "") + steps.join("\n\n");
      return { text, num_tokens: text.length };
    }),
  }));
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ metadata: { model_name: "tiny-gen", dataset: "tiny/eggs", N: 4, model_file: join(dir, "gen.gguf"), ...opts.metadata }, results }));
  return path;
}

function cli(args: string[]) {
  const res = spawnSync(process.execPath, [join(projectRoot, "bin", "prm-rel.mjs"), "score", ...args], { encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0" } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr, lines: res.stderr.split("\n").filter((l) => l.trim()) };
}

const ready = (async () => {
  await writeTinyModel(join(dir, "prm.gguf"), makeTinyQwenPrm({ seed: 5 }).model);
  await writeTinyModel(join(dir, "gen.gguf"), makeTinyModel({ seed: 2 }));
  await writeTinyModel(join(dir, "plain.gguf"), makeTinyModel({ seed: 3 }));
  await writeTinyModel(join(dir, "short.gguf"), makeTinyQwenPrm({ seed: 5, contextLength: 96 }).model);
})();
const base = (data: string, out: string) => ["--data_file", data, "--prm_model", join(dir, "prm.gguf"), "--device", "cpu", "--threads", "1", "--token_thresholds", "4", "8", "16", "--output_file", out];

test("score: tables on stdout, the JSON file, and --from_results rebuilds the same tables", async () => {
  await ready;
  const out = join(dir, "out.json");
  const run = cli(base(dataFile("data.json"), out));
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /SUMMARY: Pearson Correlation \(Partial → Correctness\)\n=+\nThreshold   mean           min            last           whole\n-+\nτ=4 /);
  assert.match(run.stdout, /Best-of-N/);
  const doc = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(doc.metadata.status, "complete");
  assert.equal(doc.metadata.prm.family, "qwen-prm-head");
  assert.equal(doc.metadata.generator_tokenizers[0].source, "data-file metadata");
  const sols = doc.files[0].problems.flatMap((p: any) => p.solutions);
  assert.equal(sols.length, 12);
  for (const s of sols) {
    assert.deepEqual(Object.keys(s.views), ["4", "8", "16", "full"]);
    const v = s.views["16"];
    assert.ok(Math.abs(v.scores.mean - v.step_rewards.reduce((a: number, b: number) => a + b, 0) / v.step_rewards.length) < 1e-12);
    assert.equal(v.scores.whole, v.whole_reward);
  }
  // Pearson r of τ=8 × min, computed here from the per-solution scores (textbook formula).
  const x = sols.map((s: any) => s.views["8"].scores.min);
  const y = sols.map((s: any) => (s.correct ? 1 : 0));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const [mx, my] = [mean(x), mean(y)];
  const cov = x.reduce((acc: number, xi: number, i: number) => acc + (xi - mx) * (y[i] - my), 0);
  const r = cov / Math.sqrt(x.reduce((a: number, xi: number) => a + (xi - mx) ** 2, 0) * y.reduce((a: number, yi: number) => a + (yi - my) ** 2, 0));
  assert.ok(Math.abs(doc.analysis[doc.files[0].data_file].partial_to_correctness["8"].min.r - r) < 1e-9);

  const again = cli(["--from_results", out]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, run.stdout);
  const json = cli(["--from_results", out, "--json"]);
  assert.deepEqual(JSON.parse(json.stdout).analysis, doc.analysis);
});

test("score: several data files give one table each plus the pooled one", async () => {
  await ready;
  const out = join(dir, "two.json");
  const run = cli([...base(dataFile("a.json"), out), "--data_file", dataFile("b.json")]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.match(/SUMMARY: Pearson Correlation \(Partial → Correctness\)/g)?.length, 3);
  assert.match(run.stdout, /all data files pooled \(MathArena mix\) \(24 scored solutions\)/);
  assert.equal(JSON.parse(readFileSync(out, "utf8")).analysis.pooled.scored_solutions, 24);
});

test("score: an interrupted (partial) output is resumed, scoring only what is missing", async () => {
  await ready;
  const data = dataFile("resume.json");
  const out = join(dir, "resume-out.json");
  assert.equal(cli(base(data, out)).code, 0);
  const full = JSON.parse(readFileSync(out, "utf8"));
  const partial = structuredClone(full);
  partial.metadata.status = "partial";
  delete partial.files[0].problems[2].solutions[1].views;
  delete partial.files[0].problems[2].solutions[3].views;
  writeFileSync(out, JSON.stringify(partial));
  const run = cli(base(data, out));
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /scoring 2 of 12 solutions/);
  const resumed = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(resumed.metadata.status, "complete");
  const a = resumed.files[0].problems[2].solutions[1].views.full.scores.mean;
  assert.ok(Math.abs(a - full.files[0].problems[2].solutions[1].views.full.scores.mean) < 1e-4);
});

const BAD: [string, () => string[], RegExp][] = [
  ["a data file that is not the gen format", () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, JSON.stringify({ metadata: { model_name: "x", dataset: "d", N: 1 }, results: [{ index: 0, gold_answer: "1", solutions: [] }] }));
    return base(path, join(dir, "o1.json"));
  }, /not in the gen format: results\.0\.question/],
  ["a threshold that is not a positive integer", () => [...base(dataFile("d2.json"), join(dir, "o2.json")), "--token_thresholds", "128", "-5"], /"-5" is not a positive integer/],
  ["an unknown aggregation", () => [...base(dataFile("d3.json"), join(dir, "o3.json")), "--aggregation_methods", "mean", "median"], /unknown aggregation "median"; valid: mean, min, last, whole/],
  ["a GGUF that is not a PRM of a known family", () => [...base(dataFile("d4.json"), join(dir, "o4.json")), "--prm_model", join(dir, "plain.gguf")], /not a PRM of a known family.*--prm_family/],
  ["an unknown --prm_family", () => [...base(dataFile("d5.json"), join(dir, "o5.json")), "--prm_family", "orm"], /unknown PRM family "orm"; valid families: qwen-prm-head, plus-minus/],
  ["a solution longer than the PRM context", () => [...base(dataFile("d6.json", { long: true }), join(dir, "o6.json")), "--prm_model", join(dir, "short.gguf")], /problem 0 solution 0 needs \d+ PRM tokens, more than the PRM's context of 96/],
  ["a --gpu_memory_utilization outside (0, 1]", () => [...base(dataFile("d8.json"), join(dir, "o8.json")), "--gpu_memory_utilization", "1.5"], /--gpu_memory_utilization must be in \(0, 1\], got 1\.5/],
  ["a --tensor_parallel_size below 1", () => [...base(dataFile("d9.json"), join(dir, "o9.json")), "--tensor_parallel_size", "0"], /--tensor_parallel_size/],
  ["no generator tokenizer", () => base(dataFile("d7.json", { metadata: { model_file: join(dir, "missing.gguf") } }), join(dir, "o7.json")), /missing\.gguf, which is not here.*--generator_model/],
];

for (const [name, args, message] of BAD) {
  test(`score: ${name} → one line, non-zero exit, no output file`, async () => {
    await ready;
    const argv = args();
    const run = cli(argv);
    assert.notEqual(run.code, 0);
    assert.equal(run.lines.length, 1, run.stderr);
    assert.match(run.lines[0], message);
    assert.equal(run.stdout, "");
    const out = argv[argv.indexOf("--output_file") + 1];
    assert.equal(existsSync(out), false);
  });
}
