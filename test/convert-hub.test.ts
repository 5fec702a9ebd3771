import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertCheckpoint } from "../src/convert/convert.js";
import { InterruptedError } from "../src/errors.js";
import { readGguf } from "../src/gguf/reader.js";
import { startTestServer, type TestServer } from "./helpers/http-server.js";
import { writeHfCheckpoint } from "./helpers/hf-checkpoint.js";
import { cli } from "./helpers/cli.js";

/**
 * `prm-rel convert org/name` against a local hub (127.0.0.1): the tree API lists the files, shards
 * download with HF_TOKEN, land in the cache, and are reused; the token never shows in output.
 */
const tmp = mkdtempSync(join(tmpdir(), "prm-rel-hub-"));
const TOKEN = "hf_testsecret_4242";
const REPO = "tiny-org/Tiny-Math-PRM";
let server: TestServer;
after(() => server?.close());

async function serveRepo(): Promise<TestServer> {
  const ck = writeHfCheckpoint(join(tmp, "repo"), { kind: "qwen2-prm", shards: 2 });
  const files: Record<string, Uint8Array> = {};
  const tree = readdirSync(ck.dir).map((path) => {
    const bytes = readFileSync(join(ck.dir, path));
    files[`/${REPO}/resolve/main/${path}`] = bytes;
    const lfs = path.endsWith(".safetensors") ? { oid: createHash("sha256").update(bytes).digest("hex"), size: bytes.length } : undefined;
    return { type: "file", path, size: bytes.length, ...(lfs ? { lfs } : {}) };
  });
  tree.push({ type: "file", path: "README.md", size: 5 });
  return startTestServer({
    auth: `Bearer ${TOKEN}`,
    files: { ...files, [`/api/models/${REPO}/tree/main`]: () => ({ headers: { "Content-Type": "application/json" }, body: JSON.stringify(tree) }) },
  });
}

test("repo id: downloads with HF_TOKEN via HF_ENDPOINT, converts, reuses the cache, never prints the token", async () => {
  server = await serveRepo();
  const cache = join(tmp, "cache"), out = join(tmp, "prm.gguf");
  const env = { HF_ENDPOINT: server.url, HF_TOKEN: TOKEN };
  const r = await cli(["convert", REPO, "--outfile", out, "--cache_dir", cache], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readGguf(out).metadata.get("prm_rel.family")?.value, "qwen-prm-head");
  assert.ok(!(r.stdout + r.stderr).includes(TOKEN), "token never printed");
  assert.ok(server.requests.every((q) => q.authorized), "every request carried the token");
  const downloads = () => server.requests.filter((q) => q.path.includes("/resolve/")).length;
  assert.equal(downloads(), 6, "config, tokenizer.json, tokenizer_config.json, index, 2 shards");
  assert.ok(!server.requests.some((q) => q.path.endsWith("README.md")), "only what convert needs");
  assert.ok(existsSync(join(cache, "models", "tiny-org", "Tiny-Math-PRM")));

  // Second run (flag instead of env for the endpoint): nothing is downloaded again.
  const r2 = await cli(["convert", REPO, "--outfile", out, "--overwrite", "--cache_dir", cache, "--endpoint", server.url], { HF_TOKEN: TOKEN, HF_ENDPOINT: undefined });
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(downloads(), 6);
});

test("repo id: a gated repo without HF_TOKEN fails in one line that says what to do", async () => {
  const cache = join(tmp, "cache-noauth"), outDir = mkdtempSync(join(tmp, "noauth-"));
  const r = await cli(["convert", REPO, "--outfile", join(outDir, "m.gguf"), "--cache_dir", cache], { HF_ENDPOINT: server.url, HF_TOKEN: "" });
  assert.notEqual(r.code, 0);
  const lines = r.stderr.split("\n").filter((l) => l.trim());
  assert.equal(lines.length, 2, r.stderr); // "fetching …" and the error
  assert.match(lines[1], /HTTP 401.*HF_TOKEN/);
  assert.deepEqual(readdirSync(outDir), []);
});

test("repo id: when the hub is unreachable, the cached snapshot is used", async () => {
  const cache = join(tmp, "cache"), out = join(tmp, "offline.gguf");
  const url = server.url;
  await server.close();
  const r = await cli(["convert", REPO, "--outfile", out, "--cache_dir", cache], { HF_ENDPOINT: url, HF_TOKEN: TOKEN });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /using the cached copy/);
  assert.ok(existsSync(out));
});

test("an interrupted conversion leaves no GGUF and no temp file", async () => {
  const ck = writeHfCheckpoint(join(tmp, "abort"), { kind: "llama", shards: 2 });
  const outDir = mkdtempSync(join(tmp, "abort-out-"));
  const abort = new AbortController();
  await assert.rejects(
    convertCheckpoint({ input: ck.dir, outfile: join(outDir, "m.gguf"), outtype: "q8_0", signal: abort.signal, onProgress: () => abort.abort() }),
    InterruptedError,
  );
  assert.deepEqual(readdirSync(outDir), []);
});
