import { existsSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, resolve } from "node:path";
import { defineCommand } from "citty";
import { UserError } from "../errors.js";
import { log } from "../log.js";
import { convertCheckpoint } from "../convert/convert.js";
import { fetchCheckpoint, isRepoId } from "../convert/hub.js";
import { formatBytes, progressReporter } from "../convert/progress.js";
import { OUT_TYPES, OUT_TYPE_LABEL, type OutType } from "../convert/types.js";
import { enumFlag, intFlag, rejectUnknownFlags } from "./_shared.js";

const args = {
  model: {
    type: "positional",
    required: true,
    description: "Hugging Face checkpoint: a local directory or a repo id such as Qwen/Qwen2.5-Math-PRM-7B",
  },
  outfile: { type: "string", description: "GGUF to write (default: <model name>-<OUTTYPE>.gguf in the current directory)" },
  outtype: {
    type: "string",
    description: "Tensor type: f16 (what --no_quantization uses), q8_0, q4_0, q4_k_m (llama-quantize's Q4_K_M mix)",
    valueHint: OUT_TYPES.join("|"),
    default: "f16",
  },
  overwrite: { type: "boolean", description: "Replace an existing output file", default: false },
  threads: { type: "string", description: "Encoder threads (default: all cores)" },
  revision: { type: "string", description: "Hub branch, tag or commit (default: main)" },
  endpoint: { type: "string", description: "Hub URL (default: $HF_ENDPOINT or https://huggingface.co); HF_TOKEN is sent when set" },
  cache_dir: { type: "string", description: "Download cache (default: $PRM_REL_CACHE or models/cache; files under models/<org>/<name>/)" },
} as const;

export default defineCommand({
  meta: {
    name: "convert",
    description: "Convert a Hugging Face checkpoint (Qwen2.5-Math-PRM, Qwen2 or Llama causal LM) to GGUF",
  },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownFlags(rawArgs, args);
    const outtype = enumFlag(a.outtype, "outtype", OUT_TYPES, "f16") as OutType;
    const threads = intFlag(a.threads, "threads", availableParallelism(), 1)!;
    const model = a.model;
    const local = existsSync(model);
    if (local && !statSync(model).isDirectory()) throw new UserError(`${model} is a file; give the checkpoint's directory`);
    if (!local && !isRepoId(model)) throw new UserError(`${model} is neither a local directory nor a Hugging Face repo id (org/name)`);
    const outfile = resolve(a.outfile ?? `${basename(model)}-${OUT_TYPE_LABEL[outtype]}.gguf`);
    // Fail before a long download, not after it.
    if (existsSync(outfile) && !a.overwrite) throw new UserError(`${outfile} already exists; pass --overwrite to replace it`);

    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once("SIGINT", onSigint);
    try {
      let dir = model;
      if (!local) {
        log.info(`fetching ${model}${a.revision ? `@${a.revision}` : ""}`);
        let bar: ReturnType<typeof progressReporter> | undefined, current = "";
        dir = await fetchCheckpoint(model, {
          endpoint: a.endpoint, revision: a.revision, cacheDir: a.cache_dir, signal: abort.signal,
          onMessage: (msg) => log.warn(msg),
          onProgress(file, done, total) {
            if (file !== current) { bar?.finish(); bar = progressReporter(`download ${file}`); current = file; }
            bar!.update(done, total ?? done);
          },
        });
        bar?.finish();
      }
      const bar = progressReporter("convert");
      const summary = await convertCheckpoint({
        input: dir, outfile, outtype, overwrite: a.overwrite, threads, signal: abort.signal,
        name: local ? undefined : model,
        // Logged only once the checkpoint is validated, so bad input yields just the error line.
        onStart: (s) => log.info(`converting ${s.architecture} ${dir} → ${outfile} (${OUT_TYPE_LABEL[outtype]}, ${formatBytes(s.bytes)}, ${threads} thread${threads > 1 ? "s" : ""})`),
        onProgress: (d, t) => bar.update(d, t),
      });
      bar.finish();
      const mix = Object.entries(summary.types).map(([t, n]) => `${n} ${t}`).join(", ");
      log.success(`${summary.architecture}${summary.prm ? " (PRM head in output.weight + prm_rel.head.* metadata)" : ""}: ${summary.tensors} tensors (${mix}), ${formatBytes(summary.bytes)}`);
      process.stdout.write(outfile + "\n");
    } finally {
      process.removeListener("SIGINT", onSigint);
    }
  },
});
