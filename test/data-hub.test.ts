import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadProblems } from "../src/data/dataset.js";
import { pickSplitFiles } from "../src/data/hub.js";
import { UserError } from "../src/errors.js";
import { startTestServer, type TestServer } from "./helpers/http-server.js";
import { writeParquet } from "./helpers/parquet.js";

const ID = "MathArena/aime_2025";
const TOKEN = "hf_TESTsecretTOKEN123";
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function split(n: number, offset = 0, intAnswers = true): Uint8Array {
  const idx = Array.from({ length: n }, (_, i) => BigInt(offset + i + 1));
  return writeParquet({
    problem_idx: { type: "int64", values: idx },
    problem: { type: "string", values: idx.map((i) => `Problem ${i}: find x.`) },
    answer: intAnswers ? { type: "int64", values: idx.map((i) => i * 10n) } : { type: "string", values: idx.map((i) => `${i}/2`) },
  });
}

/** The hub's tree API (paginated, 2 entries a page, LFS sha256 for parquet) and resolve URLs. */
function serveRepo(server: TestServer, id: string, files: Record<string, Uint8Array>): void {
  const entries = Object.entries(files).map(([path, bytes]) =>
    path.endsWith(".parquet")
      ? { type: "file", path, size: 134, oid: "0".repeat(40), lfs: { oid: sha(bytes), size: bytes.length } }
      : { type: "file", path, size: bytes.length, oid: "1".repeat(40) },
  );
  entries.push({ type: "directory", path: "data", size: 0, oid: "2".repeat(40) } as (typeof entries)[number]);
  server.setRoute(`/api/datasets/${id}/tree/main`, (_req, url) => {
    assert.equal(url.searchParams.get("recursive"), "true");
    const at = Number(url.searchParams.get("cursor") ?? 0);
    const next = at + 2 < entries.length ? { Link: `<${server.url}${url.pathname}?recursive=true&expand=false&cursor=${at + 2}>; rel="next"` } : undefined;
    return { headers: { "Content-Type": "application/json", ...next }, body: JSON.stringify(entries.slice(at, at + 2)) };
  });
  for (const [path, bytes] of Object.entries(files)) server.setRoute(`/datasets/${id}/resolve/main/${path}`, bytes);
}

const opts = (server: TestServer, cacheDir: string, extra: object = {}) => ({ dataset: ID, split: "train", cacheDir, endpoint: server.url, ...extra });

test("a hub split's parquet shards are listed (paginated), downloaded, verified and cached", async () => {
  const server = await startTestServer();
  const [a, b] = [split(2), split(1, 2, false)];
  serveRepo(server, ID, {
    "README.md": Buffer.from("# card"),
    "data/train-00000-of-00002.parquet": a,
    "data/train-00001-of-00002.parquet": b,
    "data/test-00000-of-00001.parquet": split(1),
  });
  const cacheDir = mkdtempSync(join(tmpdir(), "prm-rel-hub-"));
  const got = await loadProblems(opts(server, cacheDir));
  assert.deepEqual(got.rows, [
    { index: 1, question: "Problem 1: find x.", gold: 10 },
    { index: 2, question: "Problem 2: find x.", gold: 20 },
    { index: 3, question: "Problem 3: find x.", gold: "3/2" },
  ]);
  assert.deepEqual(got.source, {
    kind: "hub",
    id: ID,
    files: ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"],
    sha256: sha(Buffer.concat([a, b])),
  });
  assert.ok(server.requests.some((r) => r.query.includes("cursor=2")), "followed the Link header");
  assert.ok(!server.requests.some((r) => r.path.includes("test-0000")), "other splits are not downloaded");
  assert.ok(existsSync(join(cacheDir, "datasets", "MathArena", "aime_2025", "files", "main", "data", "train-00000-of-00002.parquet")));

  // Online again: the cache matches the hub's sha256, nothing is downloaded.
  const before = server.requests.filter((r) => r.path.includes("/resolve/")).length;
  await loadProblems(opts(server, cacheDir));
  assert.equal(server.requests.filter((r) => r.path.includes("/resolve/")).length, before);

  // The hub's copy changed: the stale shard is replaced.
  serveRepo(server, ID, { "data/train-00000-of-00002.parquet": split(1, 10), "data/train-00001-of-00002.parquet": b });
  assert.equal((await loadProblems(opts(server, cacheDir))).rows[0].index, 11);
  await server.close();

  // Offline: the cached copy is used, with a message saying so.
  const messages: string[] = [];
  const offline = await loadProblems(opts(server, cacheDir, { onProgress: (m: string) => messages.push(m) }));
  assert.equal(offline.rows.length, 2);
  assert.match(messages.join("\n"), /hub unavailable.*using the cached copy/);
});

test("offline with no cache: one UserError naming the cache and how to provide the data", async () => {
  const server = await startTestServer();
  await server.close();
  const cacheDir = mkdtempSync(join(tmpdir(), "prm-rel-hub-"));
  await assert.rejects(loadProblems(opts(server, cacheDir)), (e: Error) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /cannot reach http:\/\/127\.0\.0\.1:\d+.*no cached copy at .*aime_2025.*pass its path/);
    return true;
  });
});

test("HF_TOKEN is sent to the hub only, and a refusal never prints it", async () => {
  const server = await startTestServer({ auth: `Bearer ${TOKEN}` });
  serveRepo(server, ID, { "train.parquet": split(1) });
  const cacheDir = mkdtempSync(join(tmpdir(), "prm-rel-hub-"));
  await assert.rejects(loadProblems(opts(server, cacheDir)), /HTTP 401 .*set HF_TOKEN/);
  await assert.rejects(loadProblems(opts(server, cacheDir, { token: "hf_WRONGtoken999" })), (e: Error) => {
    assert.match(e.message, /HTTP 401 .*HF_TOKEN was sent but refused/);
    assert.ok(!e.message.includes("hf_WRONGtoken999") && !e.message.includes(TOKEN));
    return true;
  });
  process.env.HF_TOKEN = TOKEN;
  try {
    const got = await loadProblems(opts(server, cacheDir));
    assert.equal(got.rows.length, 1);
    assert.ok(!JSON.stringify(got).includes(TOKEN));
    for (const f of readdirSync(join(cacheDir, "datasets", "MathArena", "aime_2025", "splits"))) assert.ok(!f.includes(TOKEN));
  } finally {
    delete process.env.HF_TOKEN;
  }
  await server.close();
});

test("repos without split-named parquet fall back to the hub's converted parquet; the token stays on the hub", async () => {
  const server = await startTestServer();
  const cdn = await startTestServer();
  server.setRoute(`/api/datasets/${ID}/tree/main`, () => ({ body: JSON.stringify([{ type: "file", path: "aime.jsonl", size: 10, oid: "x" }]) }));
  server.setRoute(`/api/datasets/${ID}/parquet/default/train`, () => ({ body: JSON.stringify([`${cdn.url}/train/0.parquet`]) }));
  cdn.setRoute("/train/0.parquet", split(2));
  const cacheDir = mkdtempSync(join(tmpdir(), "prm-rel-hub-"));
  const got = await loadProblems(opts(server, cacheDir, { token: TOKEN }));
  assert.deepEqual(got.source.files, ["parquet-api/default/train/0.parquet"]);
  assert.equal(got.rows.length, 2);
  assert.ok(server.requests.every((r) => r.authorized));
  assert.ok(cdn.requests.every((r) => !r.authorized), "no Authorization to another origin");
  await assert.rejects(loadProblems(opts(server, cacheDir, { split: "validation" })), /split "validation" has no parquet files/);
  await server.close();
  await cdn.close();
});

test("a dataset download cut mid-body resumes with a Range request; HF_ENDPOINT is honoured", async () => {
  const server = await startTestServer();
  const bytes = split(200);
  serveRepo(server, ID, { "data/train-00000-of-00001.parquet": bytes });
  server.failNext(`/datasets/${ID}/resolve/main/data/train-00000-of-00001.parquet`, { truncateAfter: 3000 });
  process.env.HF_ENDPOINT = server.url;
  try {
    const cacheDir = mkdtempSync(join(tmpdir(), "prm-rel-hub-"));
    const got = await loadProblems({ dataset: ID, split: "train", cacheDir });
    assert.equal(got.rows.length, 200);
    assert.equal(got.source.sha256, sha(bytes));
  } finally {
    delete process.env.HF_ENDPOINT;
  }
  const downloads = server.requests.filter((r) => r.path.includes("/resolve/"));
  assert.equal(downloads.length, 2);
  assert.equal(downloads[0].bytesSent, 3000);
  assert.equal(downloads[1].range, "bytes=3000-");
  await server.close();
});

test("a stale .part file from an older version of a shard is discarded, then the shard downloads whole", async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const bytes = split(50);
  serveRepo(server, ID, { "data/train-00000-of-00001.parquet": bytes });
  const cacheDir = mkdtempSync(join(tmpdir(), "prm-rel-hub-"));
  const local = join(cacheDir, "datasets", "MathArena", "aime_2025", "files", "main", "data", "train-00000-of-00001.parquet");
  mkdirSync(dirname(local), { recursive: true });
  writeFileSync(`${local}.part`, Buffer.alloc(100, 7));
  assert.equal((await loadProblems(opts(server, cacheDir))).rows.length, 50);
  const downloads = server.requests.filter((r) => r.path.includes("/resolve/"));
  assert.deepEqual(downloads.map((r) => r.range), ["bytes=100-", undefined]);
  assert.ok(!existsSync(`${local}.part`));
});

test("split files are picked the way `datasets` names them", () => {
  const paths = ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet", "data/training-x.parquet", "data/test.parquet", "README.md"];
  assert.deepEqual(pickSplitFiles(paths, "train"), paths.slice(0, 2));
  assert.deepEqual(pickSplitFiles(["default/train/0000.parquet", "default/test/0000.parquet"], "train"), ["default/train/0000.parquet"]);
  assert.deepEqual(pickSplitFiles(["train.parquet"], "train"), ["train.parquet"]);
  assert.deepEqual(pickSplitFiles(["a/train-0.parquet", "data/train-0.parquet"], "train"), ["data/train-0.parquet"]);
  assert.throws(() => pickSplitFiles(["a/train-0.parquet", "b/train-0.parquet"], "train"), /several configurations \(a, b\)/);
});
