import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadProblems, selectProblems, type ProblemRow } from "../src/data/dataset.js";
import { parseCsv } from "../src/data/csv.js";
import { UserError } from "../src/errors.js";
import { writeParquet } from "./helpers/parquet.js";

const dir = mkdtempSync(join(tmpdir(), "prm-rel-data-"));
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const load = (dataset: string, onProgress?: (m: string) => void) => loadProblems({ dataset, split: "train", onProgress });

test("JSON (array, {rows}, {data}), JSONL and CSV map problem/question and answer/solution", async () => {
  const rows = [
    { problem_idx: 3, problem: "What is 1+1?", answer: 2 },
    { problem_idx: 7, problem: "Name the answer.", answer: "\\frac{1}{2}" },
  ];
  for (const content of [rows, { rows }, { data: rows }]) {
    const got = await load(file("a.json", JSON.stringify(content)));
    assert.deepEqual(got.rows, [
      { index: 3, question: "What is 1+1?", gold: 2 },
      { index: 7, question: "Name the answer.", gold: "\\frac{1}{2}" },
    ]);
    assert.equal(got.source.kind, "file");
    assert.match(got.source.sha256!, /^[0-9a-f]{64}$/);
  }
  const jsonl = await load(file("b.jsonl", '{"question":"Q1","solution":"S1"}\n\n{"question":"Q2","solution":5}\n'));
  assert.deepEqual(jsonl.rows, [
    { index: 0, question: "Q1", gold: "S1" },
    { index: 1, question: "Q2", gold: 5 },
  ]);
  const csv = await load(file("c.csv", 'problem_idx,problem,answer\r\n1,"Compute 2, then 3",5\r\n2,"He said ""hi""\nthen left",017\r\n'));
  assert.deepEqual(csv.rows, [
    { index: 1, question: "Compute 2, then 3", gold: "5" },
    { index: 2, question: 'He said "hi"\nthen left', gold: "017" },
  ]);
});

test("the datasets-server's {rows: [{row_idx, row}]} shape is unwrapped", async () => {
  const doc = { rows: [{ row_idx: 0, row: { problem: "P", answer: "1" } }] };
  assert.deepEqual((await load(file("ds.json", JSON.stringify(doc)))).rows, [{ index: 0, question: "P", gold: "1" }]);
});

test("parquet: int64 → number when safe, decimal string when not; strings stay strings", async () => {
  const bytes = writeParquet({
    problem_idx: { type: "int64", values: [1n, 2n, 3n] },
    problem: { type: "string", values: ["A", "B", "C"] },
    answer: { type: "int64", values: [204n, 9007199254740993n, -1n] },
  });
  const { rows, source } = await load(file("d.parquet", bytes));
  assert.deepEqual(rows, [
    { index: 1, question: "A", gold: 204 },
    { index: 2, question: "B", gold: "9007199254740993" },
    { index: 3, question: "C", gold: -1 },
  ]);
  assert.deepEqual(source.files, [join(dir, "d.parquet")]);
  const strings = writeParquet({ problem: { type: "string", values: ["X"] }, answer: { type: "string", values: ["3\\sqrt{2}"] } });
  assert.deepEqual((await load(file("e.parquet", strings))).rows, [{ index: 0, question: "X", gold: "3\\sqrt{2}" }]);
});

test("problem_idx that is not a distinct integer falls back to row positions, with a warning", async () => {
  const warnings: string[] = [];
  const got = await load(file("f.json", JSON.stringify([{ problem_idx: "2025-I-1", problem: "P", answer: 1 }, { problem_idx: "2025-I-2", problem: "Q", answer: 2 }])), (m) => warnings.push(m));
  assert.deepEqual(got.rows.map((r) => r.index), [0, 1]);
  assert.match(warnings.join("\n"), /problem_idx.*row positions/);
  const dup = await load(file("g.json", JSON.stringify([{ problem_idx: 1, problem: "P", answer: 1 }, { problem_idx: 1, problem: "Q", answer: 2 }])));
  assert.deepEqual(dup.rows.map((r) => r.index), [0, 1]);
});

test("bad datasets: one UserError that says what is wrong", async () => {
  const noQuestion = file("h.json", JSON.stringify([{ prompt: "P", answer: 1, id: 4 }]));
  await assert.rejects(load(noQuestion), (e: Error) => e instanceof UserError && /no question column.*"prompt", "answer", "id"/.test(e.message));
  await assert.rejects(load(file("i.json", JSON.stringify([{ problem: "P" }]))), /no answer column.*"problem"/);
  await assert.rejects(load(file("j.json", JSON.stringify([{ problem: "", answer: 1 }]))), /row 0 has no "problem" text/);
  await assert.rejects(load(file("k.json", JSON.stringify([{ problem: "P", answer: null }]))), /row 0 has no usable "answer"/);
  await assert.rejects(load(file("l.jsonl", '{"problem":"P","answer":1}\n{oops\n')), /line 2: invalid JSON/);
  await assert.rejects(load(file("m.json", JSON.stringify({ items: [] }))), /expected an array of rows/);
  await assert.rejects(load(file("n.json", "[]")), /no rows/);
  await assert.rejects(load(file("o.parquet", "not parquet")), /not a readable parquet file/);
  await assert.rejects(load(join(dir, "missing.jsonl")), /dataset file not found/);
  await assert.rejects(load("not a dataset"), /neither a local file nor a Hugging Face id/);
  await assert.rejects(load(file("p.csv", "problem,answer\nP\n")), /record 1 has 1 fields, the header has 2/);
});

test("parseCsv follows RFC 4180", () => {
  assert.deepEqual(parseCsv('\ufeffa,b\r\n"x,1","y""z"\r\n'), [["a", "b"], ["x,1", 'y"z']]);
  assert.deepEqual(parseCsv('a,"multi\r\nline"\n,\n'), [["a", "multi\r\nline"], ["", ""]]);
  assert.deepEqual(parseCsv('"",x'), [["", "x"]]);
  assert.deepEqual(parseCsv("a,b"), [["a", "b"]]);
  assert.throws(() => parseCsv('a,"open\n'), /unclosed quote in the field starting on line 1/);
  assert.throws(() => parseCsv('a,b"c\n'), /quote inside an unquoted field on line 1/);
  assert.throws(() => parseCsv('"a"b\n'), /unexpected character after a closing quote/);
});

const rows: ProblemRow[] = Array.from({ length: 30 }, (_, i) => ({ index: 100 + i, question: `Q${i}`, gold: i }));

test("selectProblems: seeded, reproducible, in dataset order, nested as numSamples grows", () => {
  const a = selectProblems(rows, 10, 7);
  const b = selectProblems(rows, 10, 7);
  assert.deepEqual(a, b);
  assert.equal(a.rows.length, 10);
  assert.deepEqual(a.selection.indices, [...a.selection.indices].sort((x, y) => x - y));
  assert.deepEqual(a.rows.map((r) => r.index), a.selection.indices);
  assert.equal(a.selection.method, "seeded-shuffle-mulberry32");
  assert.equal(a.selection.total, 30);
  assert.notDeepEqual(selectProblems(rows, 10, 8).selection.indices, a.selection.indices);
  const bigger = new Set(selectProblems(rows, 20, 7).selection.indices);
  assert.ok(a.selection.indices.every((i) => bigger.has(i)), "10 of seed 7 ⊂ 20 of seed 7");
});

test("selectProblems: all rows when absent or too large; invalid counts are UserErrors", () => {
  const all = selectProblems(rows, undefined, 0);
  assert.equal(all.selection.method, "all");
  assert.equal(all.selection.requested, null);
  assert.equal(all.rows.length, 30);
  assert.equal(selectProblems(rows, 100, 0).selection.requested, 100);
  assert.equal(selectProblems(rows, 100, 0).rows.length, 30);
  for (const bad of [0, -1, 2.5]) assert.throws(() => selectProblems(rows, bad, 0), UserError);
});
