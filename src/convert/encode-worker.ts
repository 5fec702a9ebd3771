import { parentPort } from "node:worker_threads";
import type { GgmlType } from "../gguf/constants.js";
import { encodeTensor } from "../gguf/quant.js";

/** A worker thread that encodes float rows into a ggml type (the K-quant search is CPU-bound). */
parentPort!.on("message", (msg: { id: number; x: Float32Array; type: GgmlType }) => {
  const out = encodeTensor(msg.x, msg.type);
  parentPort!.postMessage({ id: msg.id, out }, [out.buffer as ArrayBuffer]);
});
