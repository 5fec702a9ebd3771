import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { DEMO_DATA, DEMO_GENERATOR } from "../src/demo/paths.js";
import { InterruptedError } from "../src/errors.js";
import { GEN_DEFAULTS, defaultSystemPrompt, type GenOptions } from "../src/gen/options.js";
import { runGen } from "../src/gen/run.js";

// Two lock-step engines side by side (GenOptions.contexts), each on its own context with half the
// width and every other problem, write the same solutions as one engine.

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "prm-rel-contexts-"));
});

function options(outputDir: string, extra: Partial<GenOptions> = {}): GenOptions {
  return {
    ...GEN_DEFAULTS, modelName: DEMO_GENERATOR, dataset: DEMO_DATA, numSamples: 4, N: 4, maxTokens: 40, batchWidth: 8, outputDir: join(dir, outputDir),
    systemPrompt: defaultSystemPrompt(), device: "cpu", threads: 1, overwrite: false, resume: true, ...extra,
  };
}

const read = (path: string) => JSON.parse(readFileSync(path, "utf8"));

test("contexts 1 and 2 give identical results, in the selection's order", async () => {
  const one = read((await runGen(options("c1", { contexts: 1 }))).path);
  const two = read((await runGen(options("c2", { contexts: 2 }))).path);
  assert.equal(one.metadata.runtime.contexts, 1);
  assert.equal(two.metadata.runtime.contexts, 2);
  assert.equal(one.metadata.runtime.batch_width, 8);
  assert.equal(two.metadata.runtime.batch_width, 4);
  assert.equal(two.metadata.fingerprint, one.metadata.fingerprint);
  assert.deepEqual(two.results.map((p: any) => p.index), one.metadata.selection.indices);
  assert.equal(two.results.length, 4);
  assert.ok(two.results.every((p: any) => p.solutions.length === 4));
  assert.deepEqual(two.results, one.results);
  // The session sums both engines.
  const [s1, s2] = [one.metadata.timings.sessions.at(-1), two.metadata.timings.sessions.at(-1)];
  assert.equal(s2.generated_tokens, s1.generated_tokens);
  assert.equal(s2.problems, 4);
  assert.equal(s2.contexts, 2);
});

test("contexts 2: an interrupted run, resumed, ends with the uninterrupted results", async () => {
  const wholePath = (await runGen(options("whole", { contexts: 2 }))).path;
  const whole = read(wholePath);
  const ctrl = new AbortController();
  await assert.rejects(
    runGen(options("cut", { contexts: 2 }), { signal: ctrl.signal, onProblemSaved: () => ctrl.abort() }),
    (e) => e instanceof InterruptedError,
  );
  const partial = read(join(dir, "cut", basename(wholePath)));
  assert.ok(partial.results.length >= 1 && partial.results.length < 4);
  assert.equal(partial.metadata.complete, false);
  const resumed = await runGen(options("cut", { contexts: 2 }));
  assert.equal(resumed.generated, 4 - partial.results.length);
  const after = read(resumed.path);
  assert.equal(after.metadata.complete, true);
  assert.deepEqual(after.results, whole.results);
  assert.equal(after.metadata.timings.sessions.length, 2);
});

test("more contexts than problems left: one per problem, same results", async () => {
  const one = read((await runGen(options("few1", { numSamples: 1, contexts: 1, batchWidth: 4 }))).path);
  const three = read((await runGen(options("few3", { numSamples: 1, contexts: 3, batchWidth: 4 }))).path);
  assert.equal(three.metadata.runtime.contexts, 1);
  assert.deepEqual(three.results, one.results);
});
