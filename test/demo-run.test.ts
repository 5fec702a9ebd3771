import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../src/util/version.js";

const run = promisify(execFile);
const cli = join(projectRoot, "bin", "prm-rel.mjs");

test("prm-rel demo runs gen then score on the embedded models and prints the tables (reduced size)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "prm-rel-demo-"));
  const args = [cli, "demo", "--num_samples", "3", "--N", "4", "--token_thresholds", "16", "64", "128", "--output_dir", dir, "--threads", "2"];
  const { stdout } = await run(process.execPath, args, { cwd: tmpdir(), timeout: 120_000 });
  assert.match(stdout, /SUMMARY: Pearson Correlation \(Partial → Correctness\)/);
  assert.match(stdout, /Threshold\s+mean\s+min\s+last\s+whole/);
  for (const tau of [16, 64, 128]) assert.match(stdout, new RegExp(`τ=${tau}\\s`));
  assert.match(stdout, /Best-of-N/);
  assert.match(stdout, /Mean single-sample/);

  const files = readdirSync(dir).sort();
  const genFile = files.find((f) => f.endsWith("_N4.json"));
  const scoreFile = files.find((f) => f.endsWith("_prm_scores.json"));
  assert.ok(genFile && scoreFile, files.join(", "));
  const gen = JSON.parse(readFileSync(join(dir, genFile), "utf8"));
  assert.equal(gen.results.length, 3);
  for (const r of gen.results) {
    assert.equal(r.solutions.length, 4);
    assert.ok(Number.isInteger(r.gold_answer));
  }
  // the trained generator writes the reference format: steps, then a boxed answer
  const texts = gen.results.flatMap((r: any) => r.solutions.map((s: any) => s.text as string));
  assert.ok(texts.filter((t: string) => /^## Step 1: /.test(t) && /\\boxed\{\d+\}/.test(t)).length >= texts.length / 2, texts[0]);
  const score = JSON.parse(readFileSync(join(dir, scoreFile), "utf8"));
  assert.equal(score.metadata.status, "complete");
  assert.equal(score.metadata.prm.family, "qwen-prm-head");
  assert.deepEqual(score.metadata.settings.token_thresholds, [16, 64, 128]);

  // a second run resumes both finished outputs and prints the same tables
  const again = await run(process.execPath, args, { cwd: tmpdir(), timeout: 120_000 });
  assert.equal(again.stdout, stdout);
});

test("prm-rel demo rejects flags that neither gen nor score knows, and --data_file", async () => {
  for (const flag of ["--temprature", "--data_file"]) {
    await assert.rejects(run(process.execPath, [cli, "demo", flag, "1"], { cwd: tmpdir() }), (error: any) => {
      assert.equal(error.code, 2);
      assert.match(String(error.stderr), /unknown flag/);
      return true;
    });
  }
});

// The GGUF holds F16 weights and the reference ran in F32: a plain temperature-1 readout of this file
// lands within 6e-4 of the reference; 2.5e-3 leaves room for the scorer's own readout.
test("prm-rel score reads the demo PRM's step rewards as the PyTorch reference computed them (F16: to 2.5e-3)", async () => {
  const { writeFileSync } = await import("node:fs");
  const { DEMO_DIR, DEMO_GENERATOR, DEMO_PRM } = await import("../src/demo/paths.js");
  const { runScore } = await import("../src/score/run.js");
  const metrics = JSON.parse(readFileSync(join(DEMO_DIR, "hf/metrics.json"), "utf8"));
  const refs: { problem: string; solution: string; rewards: number[] }[] = metrics.reference.prm;
  const dir = mkdtempSync(join(tmpdir(), "prm-rel-demo-ref-"));
  const dataFile = join(dir, "reference.json");
  writeFileSync(dataFile, JSON.stringify({
    metadata: { model_name: DEMO_GENERATOR, dataset: "reference", N: 1 },
    results: refs.map((r, index) => ({ index, question: r.problem, gold_answer: "0", solutions: [{ text: r.solution, num_tokens: 200 }] })),
  }));
  const { document } = await runScore({
    dataFiles: [dataFile], prmModel: DEMO_PRM, generatorModel: DEMO_GENERATOR, thresholds: [1024], aggregations: ["mean"],
    noQuantization: true, device: "cpu", threads: 2,
  });
  const problems = document.files[0].problems;
  refs.forEach((r, i) => {
    const views = (problems[i].solutions[0] as any).views;
    const got: number[] = views[Object.keys(views).at(-1)!].step_rewards;
    assert.equal(got.length, r.rewards.length);
    got.forEach((x, k) => assert.ok(Math.abs(x - r.rewards[k]) < 2.5e-3, `problem ${i} step ${k}: ${x} vs ${r.rewards[k]}`));
  });
});
