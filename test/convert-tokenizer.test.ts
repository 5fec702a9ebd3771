import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertCheckpoint } from "../src/convert/convert.js";
import { TokenType } from "../src/gguf/constants.js";
import { CHATML_TEMPLATE } from "../src/gguf/tiny.js";
import { ggufValue, readGguf } from "../src/gguf/reader.js";
import { LLAMA3_TEMPLATE, writeHfCheckpoint, type HfKind } from "./helpers/hf-checkpoint.js";
import { hfEncode } from "./helpers/bpe-ref.js";
import { loadGguf, testLlama } from "./helpers/llama-eval.js";

const tmp = mkdtempSync(join(tmpdir(), "prm-rel-tok-"));
after(async () => (await testLlama()).dispose());

/** Texts that separate pre-tokenizers: digit runs, contractions in any case, unicode, whitespace runs, specials. */
const SAMPLES = [
  "Step 1: We compute the sum 12345 + 678 = 13023, so 2020 is 42.",
  "naïve café — 日本語 😀 I'm sure; DON'T panic, WE'LL see",
  "a  \n\n  b\t\tc   \n",
  "Let x be the number of apples.\n\n## Step 2: Multiply both sides",
  "<|im_start|>user\nWhat is 1+2?<|im_end|>\n<|im_start|>assistant\nStep 1<extra_0>Step 2<extra_0> <tool_call>x",
  "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n123 + 20 = 143<|eot_id|><step>",
];

for (const kind of ["qwen2-prm", "qwen2", "llama"] as HfKind[]) {
  test(`${kind}: GGUF tokenization by llama.cpp equals a reference BPE encoding of tokenizer.json`, async () => {
    const ck = writeHfCheckpoint(join(tmp, kind), { kind });
    const out = join(tmp, `${kind}.gguf`);
    await convertCheckpoint({ input: ck.dir, outfile: out, outtype: "f16" });
    const model = await loadGguf(out);
    try {
      for (const text of SAMPLES) {
        assert.deepEqual([...model.tokenize(text, true)], hfEncode(ck.tokenizer, text), JSON.stringify(text));
      }
    } finally {
      await model.dispose();
    }
  });
}

test("tokenizer metadata: pre name, token types, padding ids, special ids, add_bos, chat template", async () => {
  const expect = {
    qwen2: { pre: "qwen2", template: CHATML_TEMPLATE, bos: "<|endoftext|>", eos: "<|im_end|>", addBos: false, user: "<tool_call>" },
    llama: { pre: "llama-bpe", template: LLAMA3_TEMPLATE, bos: "<|begin_of_text|>", eos: "<|eot_id|>", addBos: true, user: "<step>" },
  };
  for (const kind of ["qwen2", "llama"] as const) {
    const ck = writeHfCheckpoint(join(tmp, `meta-${kind}`), { kind, vocabPad: 40 });
    const out = join(tmp, `meta-${kind}.gguf`);
    await convertCheckpoint({ input: ck.dir, outfile: out, outtype: "f16" });
    const g = readGguf(out), e = expect[kind];
    const tokens = ggufValue(g, "tokenizer.ggml.tokens") as string[];
    const types = ggufValue(g, "tokenizer.ggml.token_type") as number[];
    assert.equal(ggufValue(g, "tokenizer.ggml.model"), "gpt2");
    assert.equal(ggufValue(g, "tokenizer.ggml.pre"), e.pre);
    assert.equal(tokens.length, ck.config.vocab_size, "one token per row of the embedding");
    assert.equal(tokens.at(-1), `[PAD${ck.config.vocab_size - 1}]`);
    assert.equal(types.at(-1), TokenType.UNUSED);
    assert.equal(types[ck.ids[e.bos]], TokenType.CONTROL);
    assert.equal(types[ck.ids[e.user]], TokenType.USER_DEFINED, "non-special added token");
    assert.equal(types[0], TokenType.NORMAL);
    assert.equal(ggufValue(g, "tokenizer.ggml.bos_token_id"), ck.ids[e.bos]);
    assert.equal(ggufValue(g, "tokenizer.ggml.eos_token_id"), ck.ids[e.eos]);
    assert.equal(ggufValue(g, "tokenizer.ggml.add_bos_token"), e.addBos);
    assert.equal(ggufValue(g, "tokenizer.chat_template"), e.template);
    const merges = ggufValue(g, "tokenizer.ggml.merges") as string[];
    assert.equal(merges.length, ck.tokenizer.model.merges.length);
    assert.ok(merges.every((m) => m.split(" ").length === 2), "pairs stored as 'a b'");
  }
});

test("an unknown pre-tokenizer regex is refused by name instead of guessed", async () => {
  const ck = writeHfCheckpoint(join(tmp, "odd"), { kind: "qwen2" });
  const tj = JSON.parse(readFileSync(join(ck.dir, "tokenizer.json"), "utf8"));
  tj.pre_tokenizer.pretokenizers[0].pattern.Regex = "\\s+|\\w+";
  writeFileSync(join(ck.dir, "tokenizer.json"), JSON.stringify(tj));
  await assert.rejects(convertCheckpoint({ input: ck.dir, outfile: join(tmp, "odd.gguf"), outtype: "f16" }), /unsupported pre-tokenizer.*qwen2.*llama-bpe/);
});
