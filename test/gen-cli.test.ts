import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTinyModel, writeTinyModel } from "../src/gguf/tiny.js";
import { projectRoot } from "../src/util/version.js";

const BIN = join(projectRoot, "bin", "prm-rel.mjs");
let dir: string;
let model: string;
let data: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "prm-rel-gen-cli-"));
  model = join(dir, "tiny.gguf");
  await writeTinyModel(model, makeTinyModel({ seed: 3, scale: 4 }));
  await writeTinyModel(join(dir, "plain.gguf"), makeTinyModel({ seed: 3, chatTemplate: null }));
  writeFileSync(join(dir, "broken.gguf"), Buffer.concat([Buffer.from("GGUF"), Buffer.alloc(200, 7)]));
  const whole = readFileSync(model);
  writeFileSync(join(dir, "truncated.gguf"), whole.subarray(0, Math.floor(whole.length * 0.6)));
  data = join(dir, "probs.json");
  writeFileSync(data, JSON.stringify([{ problem: "What is 2+3?", answer: 5 }, { problem: "What is 4+4?", answer: "8" }]));
  writeFileSync(join(dir, "noq.json"), JSON.stringify([{ text: "What is 2+3?", answer: 5 }]));
});

const base = () => ["gen", "--model_name", model, "--dataset", data, "--N", "2", "--max_tokens", "8", "--device", "cpu", "--threads", "1"];

function gen(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: dir, env: { ...process.env, PRM_REL_LOG_LEVEL: "3" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const BAD: [string, string[], RegExp][] = [
  ["unknown --device value", ["--device", "gpu"], /--device "gpu" is not valid/],
  ["unknown flag", ["--temprature", "0.5"], /unknown flag --temprature/],
  ["N < 1", ["--N", "0"], /--N must be at least 1/],
  ["negative temperature", ["--temperature", "-0.1"], /--temperature must be >= 0/],
  ["top_p = 0", ["--top_p", "0"], /--top_p must be in \(0, 1\]/],
  ["top_p > 1", ["--top_p", "1.5"], /--top_p must be in \(0, 1\]/],
  ["unknown quantization", ["--quantization", "q3_banana"], /--quantization "q3_banana" is not known/],
  ["dataset without a question column", ["--dataset", "noq.json"], /no question column/],
  ["missing GGUF", ["--model_name", "missing.gguf"], /model file not found/],
  ["corrupt GGUF", ["--model_name", "broken.gguf"], /cannot load .*broken\.gguf/],
  ["truncated GGUF", ["--model_name", "truncated.gguf"], /cannot load .*truncated\.gguf/],
  ["GGUF without a chat template", ["--model_name", "plain.gguf"], /has no chat template/],
];

for (const [name, extra, message] of BAD) {
  test(`bad input: ${name} → one line, non-zero exit, no file`, () => {
    const out = `out-${name.replace(/\W+/g, "-")}`;
    const r = gen([...base(), "--output_dir", out, ...extra]);
    assert.notEqual(r.code, 0);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], message);
    assert.equal(r.stdout, "");
    assert.ok(!existsSync(join(dir, out)) || readdirSync(join(dir, out)).length === 0);
  });
}

test("a good run prints only the output path on stdout", () => {
  const r = gen([...base(), "--output_dir", "good"]);
  assert.equal(r.code, 0, r.stderr);
  const path = join(dir, "good", "probs_tiny_N2.json");
  assert.equal(r.stdout, path + "\n");
  assert.equal(JSON.parse(readFileSync(path, "utf8")).results.length, 2);
});

test("Ctrl-C saves finished problems, exits 130, and the rerun completes the same file", async () => {
  const args = [...base(), "--N", "2", "--max_tokens", "24", "--batch_width", "2"];
  const whole = gen([...args, "--output_dir", "sig-whole"]);
  assert.equal(whole.code, 0, whole.stderr);
  const child = spawn(process.execPath, [BIN, ...args, "--output_dir", "sig"], { cwd: dir, env: { ...process.env, PRM_REL_LOG_LEVEL: "3" } });
  let stderr = "";
  let sent = false;
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    // Once: a second Ctrl-C quits at once, without the "interrupted" line.
    if (!sent && /problem 1\/2 done/.test(stderr)) sent = child.kill("SIGINT");
  });
  // "close", not "exit": stderr may still be draining when the process exits.
  const code = await new Promise((done) => child.on("close", (c) => done(c)));
  const path = join(dir, "sig", "probs_tiny_N2.json");
  const partial = JSON.parse(readFileSync(path, "utf8"));
  if (partial.metadata.complete !== true) {
    // The signal arrived before the last problem finished (the usual case on a loaded machine).
    assert.equal(code, 130, stderr);
    assert.match(stderr, /interrupted: 1\/2 problems are saved/);
  }
  const rerun = gen([...args, "--output_dir", "sig"]);
  assert.equal(rerun.code, 0, rerun.stderr);
  const strip = (p: string) => {
    const j = JSON.parse(readFileSync(p, "utf8"));
    delete j.metadata.timings;
    return JSON.stringify(j);
  };
  assert.equal(strip(path), strip(join(dir, "sig-whole", "probs_tiny_N2.json")));
});
