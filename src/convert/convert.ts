import { existsSync } from "node:fs";
import { InterruptedError, UserError } from "../errors.js";
import { GgmlType, tensorBytes } from "../gguf/constants.js";
import { kv, writeGguf, type GgufTensorSpec, type GgufValue } from "../gguf/writer.js";
import { archMetadata, readHParams } from "./arch.js";
import { modelName, openCheckpoint } from "./checkpoint.js";
import { EncodePool } from "./encode-pool.js";
import { PRM_STEP_TOKEN, planTensors, type PlannedTensor } from "./plan.js";
import { FdCache } from "./safetensors.js";
import { tokenizerMetadata } from "./tokenizer.js";
import { FILE_TYPE, compareTensorNames, tensorType, type OutType } from "./types.js";

export interface ConvertOptions {
  /** A local Hugging Face checkpoint directory. */
  input: string;
  outfile: string;
  outtype: OutType;
  overwrite?: boolean;
  /** Encoder threads (quantization is CPU-bound); 1 encodes on the main thread. */
  threads?: number;
  /** general.name; defaults to the checkpoint's name. */
  name?: string;
  signal?: AbortSignal;
  /** Called once the checkpoint has been validated, just before writing starts. */
  onStart?: (info: { architecture: string; tensors: number; bytes: number }) => void;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface ConvertSummary {
  outfile: string;
  architecture: string;
  prm: boolean;
  tensors: number;
  bytes: number;
  /** How many tensors went to each ggml type, e.g. { Q4_K: 150, Q6_K: 30, F32: 57 }. */
  types: Record<string, number>;
}

/** Values per chunk read, converted and encoded at a time (4 MiB of float32): small enough that
 * even a 7B attention matrix splits over many encoder threads. */
const CHUNK_ELEMENTS = 1 << 20;

/**
 * Convert a Hugging Face checkpoint (Qwen2 PRM, Qwen2 or Llama causal LM) into a GGUF that
 * llama.cpp loads: hyper-parameters, tokenizer, chat template and tensors under llama.cpp's names,
 * in `outtype`. Everything is validated before the first byte is written; tensors then stream
 * from the shards in row chunks, so memory stays bounded by a few chunks per encoder thread.
 */
export async function convertCheckpoint(opts: ConvertOptions): Promise<ConvertSummary> {
  if (existsSync(opts.outfile) && !opts.overwrite) {
    throw new UserError(`${opts.outfile} already exists; pass --overwrite to replace it`);
  }
  const ckpt = openCheckpoint(opts.input);
  const hp = readHParams(ckpt);
  const tok = tokenizerMetadata(ckpt);
  if (hp.prm && !tok.tokens.includes(PRM_STEP_TOKEN)) {
    throw new UserError(`PRM tokenizer has no ${PRM_STEP_TOKEN} token, which marks the steps the head scores`);
  }
  const fds = new FdCache();
  const pool = new EncodePool(opts.threads ?? 1);
  try {
    const plan = planTensors(ckpt, hp, fds);
    const tensors = plan.tensors.sort((a, b) => compareTensorNames(a.name, b.name));
    const tied = !tensors.some((t) => t.name === "output.weight");
    const ctx = { outtype: opts.outtype, nLayer: hp.nLayer, is70B: hp.nLayer === 80 && (hp.arch === "qwen2" || hp.nHead !== hp.nHeadKv), tied, prm: hp.prm };
    const specs: GgufTensorSpec[] = tensors.map((t) => ({ name: t.name, shape: t.shape, type: tensorType(t.name, t.shape, ctx) }));
    const metadata: Record<string, GgufValue> = {
      "general.architecture": kv.str(hp.arch),
      "general.name": kv.str(modelName(ckpt, opts.name)),
      ...archMetadata(hp, ckpt.config),
      ...tok.metadata,
      ...plan.metadata,
      // Last, where llama-quantize puts them: our quantized files then equal its output byte for byte.
      "general.quantization_version": kv.u32(2),
      "general.file_type": kv.u32(FILE_TYPE[opts.outtype]),
    };
    const check = () => { if (opts.signal?.aborted) throw new InterruptedError("convert interrupted; no output written"); };
    const bytes = specs.reduce((a, s) => a + tensorBytes(s.type, s.shape.reduce((x, y) => x * y, 1)), 0);
    opts.onStart?.({ architecture: hp.hfArch, tensors: specs.length, bytes });
    await writeGguf(opts.outfile, metadata, specs, (i) => encodeChunks(tensors[i], specs[i].type, pool, fds, check), opts.onProgress);
    const types: Record<string, number> = {};
    for (const s of specs) types[GgmlType[s.type]] = (types[GgmlType[s.type]] ?? 0) + 1;
    return { outfile: opts.outfile, architecture: hp.hfArch, prm: hp.prm, tensors: specs.length, bytes, types };
  } finally {
    fds.closeAll();
    await pool.close();
  }
}

/**
 * A tensor's encoded bytes as an ordered stream of row chunks. Up to threads+1 chunks are in
 * flight (read, decoded, encoded on a worker) while earlier ones are written.
 */
async function* encodeChunks(t: PlannedTensor, type: GgmlType, pool: EncodePool, fds: FdCache, check: () => void): AsyncGenerator<Uint8Array> {
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_ELEMENTS / t.cols));
  const inFlight: Promise<Uint8Array>[] = [];
  let next = 0;
  const depth = Math.max(1, pool.threads) + 1;
  const launch = () => {
    const r0 = next, r1 = Math.min(t.rows, r0 + rowsPerChunk);
    next = r1;
    check();
    const p = pool.encode(t.read(r0, r1, fds), type);
    p.catch(() => {}); // awaited below; this only keeps an abandoned chunk from crashing the process
    inFlight.push(p);
  };
  while (next < t.rows && inFlight.length < depth) launch();
  while (inFlight.length) {
    const bytes = await inFlight.shift()!;
    if (next < t.rows) launch();
    yield bytes;
  }
}
