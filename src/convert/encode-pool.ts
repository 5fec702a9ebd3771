import { Worker } from "node:worker_threads";
import type { GgmlType } from "../gguf/constants.js";
import { encodeTensor } from "../gguf/quant.js";

/**
 * Encodes row chunks on worker threads, so quantizing a 7B model uses every core instead of one.
 * With one thread it encodes inline (tests, tiny models).
 */
export class EncodePool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private waiting: (() => void)[] = [];
  private pending = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor(readonly threads: number) {
    for (let i = 0; i < (threads > 1 ? threads : 0); i++) {
      const w = new Worker(new URL("./encode-worker.js", import.meta.url));
      w.on("message", ({ id, out }: { id: number; out: Uint8Array }) => {
        this.pending.get(id)?.resolve(out);
        this.pending.delete(id);
        this.release(w);
      });
      w.on("error", (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  private release(w: Worker) {
    this.idle.push(w);
    this.waiting.shift()?.();
  }

  /** Encode `x` (whole rows) as `type`; the Float32Array is transferred to the worker. */
  async encode(x: Float32Array, type: GgmlType): Promise<Uint8Array> {
    if (this.workers.length === 0) return encodeTensor(x, type);
    while (this.idle.length === 0) await new Promise<void>((r) => this.waiting.push(r));
    const w = this.idle.pop()!;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, x, type }, [x.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    this.idle = [];
  }
}
