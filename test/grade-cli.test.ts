import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, "bin/prm-rel.mjs"), "grade", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("prm-rel grade --answer --gold prints the extraction, both normal forms and the verdict", () => {
  const r = cli("--answer", "so the answer is $\\boxed{042}$.", "--gold", "42");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^extracted:\s+042/m);
  assert.match(r.stdout, /^normalized answer:\s+42$/m);
  assert.match(r.stdout, /^normalized gold:\s+42$/m);
  assert.match(r.stdout, /^verdict:\s+correct$/m);
});

test("prm-rel grade: values that look like flags, --json, --strict", () => {
  const r = cli("--answer", "-\\boxed{-\\frac{1}{2}}", "--gold", "-0.5", "--json");
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc, { extracted: "-\\frac{1}{2}", normalized_answer: "-1/2", normalized_gold: "-0.5", source: "box", correct: true });
  const strict = cli("--answer", "it is 12", "--gold", "12", "--strict");
  assert.equal(strict.code, 0);
  assert.match(strict.stdout, /verdict:\s+incorrect/);
  assert.match(strict.stderr, /no \\boxed/);
});

test("prm-rel grade --data_file: summary table, --verbose, --json keyed by indices", () => {
  const dir = mkdtempSync(join(tmpdir(), "prm-rel-grade-"));
  const path = join(dir, "gen.json");
  const gen = {
    metadata: { model_name: "tiny", dataset: "aime_2025", N: 3 },
    results: [
      { index: 0, question: "q", gold_answer: 70, solutions: [
        { text: "\\boxed{70}", num_tokens: 4 }, { text: "\\boxed{071}", num_tokens: 4 }, { text: "no idea", num_tokens: 2 },
      ] },
      { index: 7, question: "q", gold_answer: "\\frac{1}{2}", solutions: [
        { text: "\\boxed{0.5}", num_tokens: 4 }, { text: "\\boxed{1/2}", num_tokens: 4 }, { text: "\\boxed{1}", num_tokens: 4 },
      ] },
    ],
  };
  writeFileSync(path, JSON.stringify(gen));
  const r = cli("--data_file", path, path, "--verbose");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /aime_2025\s+2\s+6\s+50\.00%\s+100\.00%\s+100\.00%\s+1/);
  assert.match(r.stdout, /^pooled\s+4\s+12\s+50\.00%/m);
  assert.match(r.stdout, /problem 0 solution 2: no answer found/);
  const j = cli("--data_file", path, "--json");
  assert.equal(j.code, 0, j.stderr);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.files[0].problems["7"].solutions["0"].correct, true);
  assert.equal(doc.files[0].problems["0"].solutions["1"].extracted, "071");
  assert.equal(doc.files[0].problems["0"].solutions["1"].correct, false);
  assert.equal(doc.files[0].summary.unparseable, 1);
});

test("prm-rel grade: bad input exits non-zero with one clear line", () => {
  for (const args of [[], ["--answer", "1"], ["--gold", "1"], ["--data_file", "/no/such/file.json"], ["--bogus"], ["--answer", "1", "--gold", "1", "--data_file", "x"]]) {
    const r = cli(...args);
    assert.notEqual(r.code, 0, `${args.join(" ")} should fail`);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n").filter((l) => l.trim());
    assert.equal(lines.length, 1, `${args.join(" ")}: ${r.stderr}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "prm-rel-grade-"));
  writeFileSync(join(dir, "bad.json"), "{ not json");
  const r = cli("--data_file", join(dir, "bad.json"));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not valid JSON/);
});
