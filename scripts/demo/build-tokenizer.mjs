#!/usr/bin/env node
// Learn the demo models' byte-level BPE from the demo conversations and write it as Hugging Face
// tokenizer files. Run after `npm run build`, from the project root:
//   node scripts/demo/build-tokenizer.mjs [--vocab 640] [--data data/demo/arith.jsonl] [--out models/demo/tokenizer]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildDemoTokenizer, demoCorpus } from "../../dist/src/demo/tokenizer.js";

const { values } = parseArgs({
  options: {
    vocab: { type: "string", default: "640" },
    data: { type: "string", default: "data/demo/arith.jsonl" },
    out: { type: "string", default: "models/demo/tokenizer" },
  },
});
const rows = readFileSync(values.data, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const corpus = demoCorpus(rows, readFileSync("assets/generator-system-prompt.txt", "utf8"), readFileSync("assets/qwen-prm-system-prompt.txt", "utf8"));
const tok = buildDemoTokenizer(corpus, Number(values.vocab));
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, "tokenizer.json"), JSON.stringify(tok.tokenizer, null, 2) + "\n");
writeFileSync(join(values.out, "tokenizer_config.json"), JSON.stringify(tok.tokenizerConfig, null, 2) + "\n");
console.log(`wrote ${values.out}: ${tok.tokens.length} tokens, ${tok.merges.length} merges, specials ${JSON.stringify(tok.specialIds)}`);
