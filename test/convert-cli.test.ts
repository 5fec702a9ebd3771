import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGguf } from "../src/gguf/reader.js";
import { writeHfCheckpoint } from "./helpers/hf-checkpoint.js";
import { cli } from "./helpers/cli.js";

/** `prm-rel convert` as a user runs it: exit codes, one-line errors, and no half-written GGUF. */
const tmp = mkdtempSync(join(tmpdir(), "prm-rel-cli-"));

/** A fresh copy of a sharded checkpoint (3 shards) for one test to damage. */
let n = 0;
function checkpoint(kind: "qwen2-prm" | "llama" = "qwen2-prm") {
  const dir = join(tmp, `ck${n++}`);
  writeHfCheckpoint(dir, { kind, shards: 3 });
  return dir;
}

/** The failure contract: non-zero exit, exactly one non-empty stderr line matching `pattern`, no GGUF, no temp file. */
async function expectFailure(args: string[], pattern: RegExp, outDir: string) {
  const before = readdirSync(outDir);
  const r = await cli(args);
  assert.notEqual(r.code, 0, r.stderr);
  const lines = r.stderr.split("\n").filter((l) => l.trim());
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.deepEqual(readdirSync(outDir), before, "nothing written or left behind");
}

test("converts a local checkpoint: GGUF path on stdout, progress with bytes and ETA on stderr", async () => {
  const dir = checkpoint(), out = join(tmp, "ok.gguf");
  const r = await cli(["convert", dir, "--outfile", out, "--outtype", "q8_0", "--threads", "2"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), out);
  assert.match(r.stderr, /convert .*B \/ .*B +100% .*ETA/);
  assert.match(r.stderr, /Qwen2ForProcessRewardModel.*tensors/);
  assert.equal(readGguf(out).metadata.get("general.file_type")?.value, 7);
});

test("an existing output needs --overwrite (and is left untouched without it)", async () => {
  const dir = checkpoint(), outDir = mkdtempSync(join(tmp, "exists-")), out = join(outDir, "m.gguf");
  writeFileSync(out, "precious");
  await expectFailure(["convert", dir, "--outfile", out], /already exists; pass --overwrite/, outDir);
  assert.equal(readFileSync(out, "utf8"), "precious");
  const r = await cli(["convert", dir, "--outfile", out, "--overwrite"]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(statSync(out).size > 1000);
});

test("unsupported architecture: names the supported ones", async () => {
  const dir = checkpoint(), outDir = mkdtempSync(join(tmp, "arch-"));
  const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  writeFileSync(join(dir, "config.json"), JSON.stringify({ ...cfg, architectures: ["MistralForCausalLM"] }));
  await expectFailure(["convert", dir, "--outfile", join(outDir, "m.gguf")],
    /cannot convert architecture MistralForCausalLM; supported: Qwen2ForProcessRewardModel, Qwen2ForCausalLM, LlamaForCausalLM/, outDir);
});

test("missing shard", async () => {
  const dir = checkpoint(), outDir = mkdtempSync(join(tmp, "missing-"));
  rmSync(join(dir, "model-00002-of-00003.safetensors"));
  await expectFailure(["convert", dir, "--outfile", join(outDir, "m.gguf")], /missing shard model-00002-of-00003\.safetensors/, outDir);
});

test("shards that do not match the index", async () => {
  const dir = checkpoint(), outDir = mkdtempSync(join(tmp, "mismatch-"));
  const indexPath = join(dir, "model.safetensors.index.json");
  const index = JSON.parse(readFileSync(indexPath, "utf8"));
  const moved = Object.keys(index.weight_map).find((k) => index.weight_map[k] === "model-00003-of-00003.safetensors")!;
  index.weight_map[moved] = "model-00001-of-00003.safetensors";
  writeFileSync(indexPath, JSON.stringify(index));
  await expectFailure(["convert", dir, "--outfile", join(outDir, "m.gguf")], /does not match model\.safetensors\.index\.json/, outDir);
});

test("a shard the index forgot (tensors missing from the model)", async () => {
  const dir = checkpoint(), outDir = mkdtempSync(join(tmp, "forgot-"));
  const indexPath = join(dir, "model.safetensors.index.json");
  const index = JSON.parse(readFileSync(indexPath, "utf8"));
  for (const k of Object.keys(index.weight_map)) if (index.weight_map[k] === "model-00003-of-00003.safetensors") delete index.weight_map[k];
  writeFileSync(indexPath, JSON.stringify(index));
  await expectFailure(["convert", dir, "--outfile", join(outDir, "m.gguf")], /lacks \d+ tensor|PRM checkpoint lacks/, outDir);
});

test("truncated safetensors file (an interrupted download)", async () => {
  const dir = checkpoint(), outDir = mkdtempSync(join(tmp, "trunc-"));
  const shard = join(dir, "model-00003-of-00003.safetensors");
  truncateSync(shard, statSync(shard).size - 100);
  await expectFailure(["convert", dir, "--outfile", join(outDir, "m.gguf")], /model-00003-of-00003\.safetensors: truncated safetensors file/, outDir);
});

test("bad flags and inputs: unknown outtype, not a directory nor a repo id, no config.json", async () => {
  const dir = checkpoint(), outDir = mkdtempSync(join(tmp, "flags-"));
  await expectFailure(["convert", dir, "--outfile", join(outDir, "m.gguf"), "--outtype", "q3_k"], /--outtype "q3_k" is not valid; use one of: f16, q8_0, q4_0, q4_k_m/, outDir);
  await expectFailure(["convert", "no/such/dir", "--outfile", join(outDir, "m.gguf")], /neither a local directory nor a Hugging Face repo id/, outDir);
  rmSync(join(dir, "config.json"));
  await expectFailure(["convert", dir, "--outfile", join(outDir, "m.gguf")], /has no config\.json/, outDir);
});
