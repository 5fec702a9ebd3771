import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../src/errors.js";
import { makeTinyModel, writeTinyModel } from "../src/gguf/tiny.js";
import { localNameFor, parseHfFileUri } from "../src/models/download.js";
import { resolveModel } from "../src/models/resolve.js";
import { startTestServer, type TestServer } from "./helpers/http-server.js";

const TOKEN = "hf_MODELsecretTOKEN42";
const tmp = () => mkdtempSync(join(tmpdir(), "prm-rel-dl-"));

async function gguf(opts: Parameters<typeof makeTinyModel>[0]): Promise<Buffer> {
  const path = join(tmp(), "m.gguf");
  await writeTinyModel(path, makeTinyModel(opts));
  return readFileSync(path);
}
const small = await gguf({ seed: 11 });
const FILE = "/tester/Tiny-GGUF/resolve/main/Tiny-Q4_K_M.gguf";
const URI = "hf:tester/Tiny-GGUF/Tiny-Q4_K_M.gguf";
const opts = (server: TestServer, modelsDir: string, extra: object = {}) => ({ role: "generator" as const, quantization: "Q4_K_M", modelsDir, endpoint: server.url, ...extra });
/** The downloader's own requests (not our one-byte probe). */
const ranged = (s: TestServer) => s.requests.filter((r) => r.range && r.range !== "bytes=0-0");
const startOf = (range: string) => Number(/bytes=(\d+)-/.exec(range)![1]);

test("an hf: URI downloads through node-llama-cpp into modelsDir, with progress, then works offline", async (t) => {
  const server = await startTestServer({ files: { [FILE]: small } });
  t.after(() => server.close());
  const dir = tmp();
  const progress: [number, number][] = [];
  const got = await resolveModel(URI, opts(server, dir, { onProgress: (d: number, t: number) => progress.push([d, t]) }));
  assert.equal(got.path, join(dir, "hf_tester_Tiny-Q4_K_M.gguf"));
  assert.ok(readFileSync(got.path).equals(small));
  assert.equal(got.source, URI);
  assert.equal(got.quantization, "F32");
  assert.ok(progress.length > 0 && progress.at(-1)![0] === small.length && progress.at(-1)![1] === small.length);
  await server.close();
  const again = await resolveModel(URI, opts(server, dir));
  assert.equal(again.path, got.path, "cached file reused with the server gone");
});

test("a registry id resolves to its hf: source for the quantization asked", async (t) => {
  const server = await startTestServer({ files: { [FILE]: small } });
  t.after(() => server.close());
  const dir = tmp();
  const registryPath = join(dir, "registry.json");
  writeFileSync(registryPath, JSON.stringify({ models: [{ id: "tester/Tiny", aliases: ["tester/Tiny-Old"], role: "generator", quantizations: { Q4_K_M: URI } }] }));
  // The endpoint from HF_ENDPOINT this time, as a user would point at a mirror.
  process.env.HF_ENDPOINT = server.url;
  t.after(() => delete process.env.HF_ENDPOINT);
  const got = await resolveModel("tester/Tiny-Old", { role: "generator", quantization: "Q4_K_M", modelsDir: dir, registryPath });
  assert.equal(got.quantization, "Q4_K_M");
  assert.equal(got.entry?.id, "tester/Tiny");
  assert.ok(readFileSync(got.path).equals(small));
});

test("401: a clear line that never contains the token; with the right token it downloads", async (t) => {
  const server = await startTestServer({ files: { [FILE]: small }, auth: `Bearer ${TOKEN}` });
  t.after(() => server.close());
  const dir = tmp();
  await assert.rejects(resolveModel(URI, opts(server, dir)), /HTTP 401 .*set HF_TOKEN.*put it at .*hf_tester_Tiny-Q4_K_M\.gguf, or pass a local \.gguf path/);
  await assert.rejects(resolveModel(URI, opts(server, dir, { token: "hf_WRONG_token_7" })), (e: Error) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /HTTP 401 .*HF_TOKEN was sent but refused/);
    assert.ok(!e.message.includes("hf_WRONG_token_7") && !e.message.includes(TOKEN));
    return true;
  });
  process.env.HF_TOKEN = TOKEN;
  try {
    const got = await resolveModel(URI, opts(server, dir));
    assert.ok(readFileSync(got.path).equals(small));
  } finally {
    delete process.env.HF_TOKEN;
  }
  assert.ok(ranged(server).every((r) => r.authorized));
  assert.ok(!readdirSync(dir).some((f) => f.includes(TOKEN)));
});

test("a missing file or an unreachable host: one UserError naming the file, the URL and how to provide it", async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const dir = tmp();
  await assert.rejects(resolveModel(URI, opts(server, dir)), (e: Error) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, new RegExp(`model file hf_tester_Tiny-Q4_K_M\\.gguf: HTTP 404 from ${server.url}${FILE} .*Download ${server.url}${FILE} yourself and put it at ${join(dir, "hf_tester_Tiny-Q4_K_M.gguf")}`));
    return true;
  });
  await server.close();
  const started = Date.now();
  await assert.rejects(resolveModel(URI, opts(server, dir)), /cannot reach http:\/\/127\.0\.0\.1:\d+ .*put it at/);
  assert.ok(Date.now() - started < 5000, "offline fails fast, without the downloader's minutes of retries");
  assert.deepEqual(readdirSync(dir), []);
});

// Big enough for several of ipull's 5 MiB chunks, so that resuming is visible in the Range headers.
const big = await gguf({ seed: 12, nEmbd: 32, minVocab: 50000 });
const BIG = "/tester/Big-GGUF/resolve/main/Big-F32.gguf";
const BIG_URI = "hf:tester/Big-GGUF/Big-F32.gguf";

test("a connection cut mid-file is resumed from the last complete chunk, not restarted", { timeout: 60_000 }, async (t) => {
  const server = await startTestServer({ files: { [BIG]: big } });
  t.after(() => server.close());
  // Cut the request that spans byte 12 000 000: it has delivered one whole 5 MiB chunk by then.
  const cutAt = 12_000_000;
  const spans = (range: string) => startOf(range) < cutAt && Number(/-(\d+)$/.exec(range)![1]) >= cutAt;
  server.failNext(BIG, { truncateAfter: cutAt, absolute: true, when: (r) => !!r.headers.range && spans(r.headers.range) });
  const got = await resolveModel(BIG_URI, opts(server, tmp()));
  assert.ok(readFileSync(got.path).equals(big));
  const cut = ranged(server).find((r) => startOf(r.range!) + r.bytesSent === cutAt)!;
  assert.ok(cut, "one request was cut");
  const after = ranged(server).slice(ranged(server).indexOf(cut) + 1);
  assert.ok(after.some((r) => startOf(r.range!) > startOf(cut.range!) && startOf(r.range!) < cutAt), "resumed inside the cut range");
  assert.ok(!after.some((r) => startOf(r.range!) === startOf(cut.range!)), "the cut range was not fetched again from its start");
});

test("an interrupted download (abort) leaves a partial file that the next run resumes", { timeout: 60_000 }, async (t) => {
  const server = await startTestServer({ files: { [BIG]: big } });
  t.after(() => server.close());
  const stallAt = 12_000_000;
  server.failNext(BIG, { stallAfter: stallAt, absolute: true, times: Infinity, when: (r) => !!r.headers.range && r.headers.range !== "bytes=0-0" });
  const dir = tmp();
  const ac = new AbortController();
  const onProgress = (done: number) => {
    if (done >= 11_500_000 && !ac.signal.aborted) setTimeout(() => ac.abort(), 200);
  };
  await assert.rejects(resolveModel(BIG_URI, opts(server, dir, { signal: ac.signal, onProgress })), { name: "AbortError" });
  assert.deepEqual(readdirSync(dir), ["hf_tester_Big-F32.gguf.ipull"]);
  await server.close();

  const again = await startTestServer({ files: { [BIG]: big } });
  t.after(() => again.close());
  const got = await resolveModel(BIG_URI, opts(again, dir));
  assert.ok(readFileSync(got.path).equals(big));
  assert.deepEqual(readdirSync(dir), ["hf_tester_Big-F32.gguf"]);
  const refetched = ranged(again).reduce((sum, r) => sum + r.bytesSent, 0);
  assert.ok(ranged(again).every((r) => startOf(r.range!) >= 10 * 1024 * 1024), "only the unfinished chunk is fetched again");
  assert.ok(refetched < big.length - 10_000_000, `re-fetched ${refetched} of ${big.length} bytes`);
  assert.ok(!existsSync(join(dir, "hf_tester_Big-F32.gguf.ipull")));
});

test("hf: file URIs map to stable, collision-free local names", () => {
  const name = (uri: string) => localNameFor(parseHfFileUri(uri)!);
  assert.equal(name("hf:bartowski/Qwen2.5-Math-7B-Instruct-GGUF/Qwen2.5-Math-7B-Instruct-Q4_K_M.gguf"), "hf_bartowski_Qwen2.5-Math-7B-Instruct-Q4_K_M.gguf");
  assert.equal(name("hf:neopolita/qwen2.5-math-1.5b-instruct-gguf/ggml-model-f16.gguf"), "hf_neopolita_qwen2.5-math-1.5b-instruct-gguf_ggml-model-f16.gguf");
  assert.equal(name("hf:u/R-GGUF/sub/dir/R-Q8_0.gguf#dev"), "hf_u_dev_sub__dir_R-Q8_0.gguf");
  assert.deepEqual(parseHfFileUri("hf:u/r/f.gguf"), { user: "u", repo: "r", path: "f.gguf", branch: "main" });
  assert.equal(parseHfFileUri("hf:u/r:Q4_K_M"), undefined);
});
