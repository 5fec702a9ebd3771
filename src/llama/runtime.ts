import { availableParallelism } from "node:os";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { UserError, oneLine } from "../errors.js";
import { log } from "../log.js";

export type Device = "auto" | "cuda" | "cpu";
export const DEVICES: readonly Device[] = ["auto", "cuda", "cpu"];

export interface RuntimeOptions {
  device: Device;
  /** CPU threads; default all cores (node-llama-cpp's own default of 4 is 100x slower on 2 cores). */
  threads?: number;
  /** Share of each card's VRAM the model and KV cache may take (the seed's --gpu_memory_utilization). */
  gpuMemoryUtilization?: number;
  /** How many GPUs to split layers over (the seed's --tensor_parallel_size): the first N visible. */
  tensorParallelSize?: number;
}

/** The seed's --gpu_memory_utilization default. */
export const DEFAULT_GPU_MEMORY_UTILIZATION = 0.9;

/** --gpu_memory_utilization (gen and score): a share of each card, in (0, 1]. */
export function checkGpuMemoryUtilization(u: number): number {
  if (!Number.isFinite(u) || u <= 0 || u > 1) throw new UserError(`--gpu_memory_utilization must be in (0, 1], got ${u}`);
  return u;
}

const cache = new Map<string, Promise<Llama>>();

/**
 * The llama.cpp runtime for a device. `cuda` fails with one clear line where CUDA is absent;
 * `auto` takes CUDA when present and the CPU otherwise.
 */
export function getRuntime(opts: RuntimeOptions): Promise<Llama> {
  const key = JSON.stringify(opts);
  let llama = cache.get(key);
  if (!llama) {
    llama = loadRuntime(opts);
    cache.set(key, llama);
    llama.catch(() => cache.delete(key));
  }
  return llama;
}

async function loadRuntime(opts: RuntimeOptions): Promise<Llama> {
  const threads = opts.threads ?? availableParallelism();
  if (opts.tensorParallelSize && opts.tensorParallelSize > 0 && opts.device !== "cpu") {
    // llama.cpp splits layers over every visible GPU; limiting visibility selects N cards.
    const visible = process.env.CUDA_VISIBLE_DEVICES?.split(",").filter(Boolean);
    const all = visible ?? Array.from({ length: 64 }, (_, i) => String(i));
    process.env.CUDA_VISIBLE_DEVICES = all.slice(0, opts.tensorParallelSize).join(",");
  }
  const util = opts.gpuMemoryUtilization ?? DEFAULT_GPU_MEMORY_UTILIZATION;
  const common = {
    maxThreads: threads,
    logLevel: LlamaLogLevel.error,
    logger: (level: LlamaLogLevel, message: string) => {
      if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) log.debug(`llama.cpp: ${message.trim()}`);
    },
    vramPadding: (total: number) => Math.max(0, total * (1 - util)),
    build: "never" as const,
    progressLogs: false,
  };
  try {
    if (opts.device === "cpu") return await getLlama({ ...common, gpu: false });
    if (opts.device === "cuda") {
      const llama = await getLlama({ ...common, gpu: "cuda" });
      if (llama.gpu !== "cuda") throw new Error("CUDA backend did not initialise");
      return llama;
    }
    try {
      return await getLlama({ ...common, gpu: "cuda" });
    } catch {
      return await getLlama({ ...common, gpu: false });
    }
  } catch (error) {
    if (opts.device === "cuda") {
      throw new UserError(
        `--device cuda: no usable CUDA GPU or CUDA 13 runtime here (${oneLine(String((error as Error).message ?? error)).slice(0, 160)}); use --device cpu or --device auto`,
      );
    }
    throw error;
  }
}
