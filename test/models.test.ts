import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { UserError } from "../src/errors.js";
import { makeTinyModel, writeTinyModel } from "../src/gguf/tiny.js";
import { GgmlType } from "../src/gguf/constants.js";
import { ggufQuantizationFor, isQuantizedType } from "../src/models/quantization.js";
import { findRegistryEntry, loadRegistry, Registry } from "../src/models/registry.js";
import { resolveModel } from "../src/models/resolve.js";

test("the shipped registry validates and knows the seed's models, aliases included", () => {
  const registry = loadRegistry();
  const gen = findRegistryEntry(registry, "Qwen/Qwen2.5-7B-Math-Instruct");
  assert.equal(gen?.id, "Qwen/Qwen2.5-Math-7B-Instruct");
  assert.equal(gen?.role, "generator");
  for (const q of ["Q4_K_M", "Q8_0", "F16"]) assert.match(gen!.quantizations[q], /^hf:.+\.gguf$/);
  assert.equal(findRegistryEntry(registry, "qwen/qwen2.5-math-1.5b-instruct")?.role, "generator");
  assert.equal(findRegistryEntry(registry, "RLHFlow/Llama3.1-8B-PRM")?.id, "RLHFlow/Llama3.1-8B-PRM-Deepseek-Data");
  assert.equal(findRegistryEntry(registry, "RLHFlow/Llama3.1-8B-PRM-Mistral-Data")?.family, "plus-minus");
  for (const id of ["Qwen/Qwen2.5-Math-PRM-7B", "Qwen/Qwen2.5-Math-PRM-72B"]) {
    const prm = findRegistryEntry(registry, id)!;
    assert.equal(prm.family, "qwen-prm-head");
    assert.deepEqual(prm.quantizations, {});
    assert.equal(prm.convert?.from, id);
  }
});

test("the registry schema rejects what resolution could not use", () => {
  const ok = { id: "a/b", role: "generator", quantizations: { Q4_K_M: "hf:u/r/f.gguf" } };
  assert.ok(v.safeParse(Registry, { models: [ok] }).success);
  const bad = [
    { ...ok, role: "prm" }, // a PRM without a family
    { ...ok, family: "plus-minus" }, // a generator with one
    { ...ok, quantizations: { q4_k_m: "hf:u/r/f.gguf" } }, // not canonical
    { ...ok, quantizations: { Q4_K_M: "u/r/f.gguf" } }, // not a URI
    { id: "a/b", role: "generator" }, // neither files nor convert
    { ...ok, extra: 1 },
  ];
  for (const entry of bad) assert.ok(!v.safeParse(Registry, { models: [entry] }).success, JSON.stringify(entry));
  assert.ok(!v.safeParse(Registry, { models: [ok, { ...ok, id: "x/y", aliases: ["A/B"] }] }).success, "alias collides with an id");
});

test("ggufQuantizationFor maps the seed's --dtype/--quantization to a GGUF type", () => {
  assert.equal(ggufQuantizationFor({ dtype: "float16", quantization: null }), "F16");
  assert.equal(ggufQuantizationFor({ dtype: "float16", quantization: "None" }), "F16");
  assert.equal(ggufQuantizationFor({}), "F16");
  assert.equal(ggufQuantizationFor({ dtype: "auto" }), "F16");
  assert.equal(ggufQuantizationFor({ dtype: "bfloat16" }), "BF16");
  assert.equal(ggufQuantizationFor({ dtype: "float32" }), "F32");
  for (const q of ["awq", "GPTQ", "bitsandbytes", "gptq_marlin"]) assert.equal(ggufQuantizationFor({ dtype: "float16", quantization: q }), "Q4_K_M");
  for (const q of ["fp8", "int8"]) assert.equal(ggufQuantizationFor({ dtype: "float16", quantization: q }), "Q8_0");
  assert.equal(ggufQuantizationFor({ dtype: "float16", quantization: "q8_0" }), "Q8_0");
  assert.equal(ggufQuantizationFor({ dtype: "bfloat16", quantization: "Q4_K_M" }), "Q4_K_M");
  assert.equal(ggufQuantizationFor({ quantization: "fp16" }), "F16");
  assert.throws(() => ggufQuantizationFor({ quantization: "squeeze" }), (e: Error) => e instanceof UserError && /awq.*Q4_K_M.*Q8_0/.test(e.message));
  assert.throws(() => ggufQuantizationFor({ dtype: "float8" }), /--dtype "float8" is not known; use one of auto, float16/);
});

test("isQuantizedType: what detectQuantization names as quantized; F32/F16/BF16 and unknown names are not", () => {
  for (const t of ["Q4_K_M", "q4_0", "Q8_0", "IQ2_XS"]) assert.equal(isQuantizedType(t), true, t);
  for (const t of ["F16", "fp16", "BF16", "F32", "unknown"]) assert.equal(isQuantizedType(t), false, t);
});

const dir = mkdtempSync(join(tmpdir(), "prm-rel-models-"));
const gen = { role: "generator" as const, quantization: "Q4_K_M", modelsDir: dir };

test("a local .gguf is used as is, with its type read from the header", async () => {
  const path = join(dir, "tiny.gguf");
  await writeTinyModel(path, makeTinyModel({ seed: 5, type: GgmlType.F16 }));
  const got = await resolveModel(path, gen);
  assert.deepEqual(got, { path, source: "file", quantization: "F16" });
  await assert.rejects(resolveModel(join(dir, "nope.gguf"), gen), (e: Error) => e instanceof UserError && e.message === `model file not found: ${join(dir, "nope.gguf")}`);
});

test("registry ids: unknown, wrong role, missing quantization, convert-only", async () => {
  await assert.rejects(resolveModel("someone/unknown-model", gen), /unknown model "someone\/unknown-model".*known: Qwen\/Qwen2\.5-Math-7B-Instruct.*local \.gguf/);
  await assert.rejects(resolveModel("Qwen/Qwen2.5-Math-7B-Instruct", { ...gen, role: "prm" }), /is a generator, not a PRM/);
  await assert.rejects(resolveModel("Qwen/Qwen2.5-Math-7B-Instruct", { ...gen, quantization: "Q5_K_M" }), /no Q5_K_M GGUF of Qwen\/Qwen2\.5-Math-7B-Instruct is known; available: Q4_K_M, Q8_0, F16, Q4_0 \(via prm-rel convert\), F32 \(via prm-rel convert\); or pass a local \.gguf path$/);
  await assert.rejects(resolveModel("Qwen/Qwen2.5-Math-7B-Instruct", { ...gen, quantization: "X9" }), /"X9" is not a GGUF type/);
  const prm = { ...gen, role: "prm" as const, quantization: "F16" };
  await assert.rejects(resolveModel("Qwen/Qwen2.5-Math-PRM-7B", prm), (e: Error) => {
    assert.ok(e instanceof UserError);
    assert.equal(
      e.message,
      `no public F16 GGUF of Qwen/Qwen2.5-Math-PRM-7B is known; make it with: prm-rel convert Qwen/Qwen2.5-Math-PRM-7B --outtype f16 --outfile ${join(dir, "Qwen2.5-Math-PRM-7B-F16.gguf")}`,
    );
    return true;
  });
  await assert.rejects(resolveModel("RLHFlow/Llama3.1-8B-PRM", prm), /no public F16 GGUF of RLHFlow\/Llama3\.1-8B-PRM-Deepseek-Data is known \(published: Q4_K_M, Q8_0\); make it with: prm-rel convert RLHFlow\/Llama3\.1-8B-PRM-Deepseek-Data --outtype f16/);
});

test("once converted, a convert-only registry id resolves to the converted file", async () => {
  const out = join(dir, "Qwen2.5-Math-PRM-7B-Q8_0.gguf");
  await writeTinyModel(out, makeTinyModel({ seed: 6, type: GgmlType.Q8_0 }));
  const got = await resolveModel("qwen/qwen2.5-math-prm-7b", { role: "prm", quantization: "q8_0", modelsDir: dir });
  assert.equal(got.path, out);
  assert.equal(got.source, "convert:Qwen/Qwen2.5-Math-PRM-7B");
  assert.equal(got.quantization, "Q8_0");
  assert.equal(got.entry?.family, "qwen-prm-head");
});

test("a broken registry file is one UserError naming the field", async () => {
  const path = join(dir, "registry.json");
  writeFileSync(path, JSON.stringify({ models: [{ id: "a/b", role: "prm", quantizations: { F16: "hf:u/r/f.gguf" } }] }));
  await assert.rejects(resolveModel("a/b", { ...gen, registryPath: path }), (e: Error) => e instanceof UserError && /model registry .*registry\.json: models\.0.*family/.test(e.message));
});
