import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/**
 * ggml's own reference quantizers as a test oracle: a tiny C program that dlopens the
 * libggml-base.so shipped with node-llama-cpp and calls quantize_row_<type>_ref. Absent a C
 * compiler or the library (other platforms), `loadGgmlOracle` returns undefined and tests skip.
 */
const SOURCE = `
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
typedef void (*qfn)(const float *, void *, int64_t);
int main(int argc, char **argv) {
  void *lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) { fprintf(stderr, "%s\\n", dlerror()); return 1; }
  qfn q = (qfn)dlsym(lib, argv[2]);
  if (!q) { fprintf(stderr, "no %s\\n", argv[2]); return 1; }
  /* quantize_row_*: n floats in, bytes out; dequantize_row_*: bytes in, n floats out. */
  long n = atol(argv[3]), bytes = atol(argv[4]);
  int deq = argv[2][0] == 'd';
  float *x = malloc(n * sizeof(float));
  void *y = calloc(1, bytes);
  if (deq) {
    if (fread(y, 1, bytes, stdin) != (size_t)bytes) return 2;
    ((void (*)(const void *, float *, int64_t))q)(y, x, n);
    fwrite(x, sizeof(float), n, stdout);
  } else {
    if (fread(x, sizeof(float), n, stdin) != (size_t)n) return 2;
    q(x, y, n);
    fwrite(y, 1, bytes, stdout);
  }
  return 0;
}
`;

/**
 * llama-quantize as a library call: llama_model_quantize(in, out, params) from the shipped
 * libllama, with params from llama_model_quantize_default_params() (nthread and ftype are its
 * first two int32 fields; the struct is returned into an over-sized buffer).
 */
const QUANTIZE_MODEL_SOURCE = `
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
typedef struct { char bytes[512]; } params_t;
int main(int argc, char **argv) {
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
  if (!lib) { fprintf(stderr, "%s\\n", dlerror()); return 1; }
  params_t (*defaults)(void) = (params_t (*)(void))dlsym(lib, "llama_model_quantize_default_params");
  uint32_t (*quantize)(const char *, const char *, const params_t *) =
    (uint32_t (*)(const char *, const char *, const params_t *))dlsym(lib, "llama_model_quantize");
  void (*backend_init)(void) = (void (*)(void))dlsym(lib, "llama_backend_init");
  if (!defaults || !quantize) { fprintf(stderr, "llama_model_quantize not found\\n"); return 1; }
  if (backend_init) backend_init();
  params_t p = defaults();
  ((int32_t *)p.bytes)[0] = 1;
  ((int32_t *)p.bytes)[1] = atoi(argv[4]);
  return (int)quantize(argv[2], argv[3], &p);
}
`;

export interface GgmlOracle {
  quantize(fn: string, x: Float32Array, outBytes: number): Uint8Array;
  dequantize(fn: string, bytes: Uint8Array, n: number): Float32Array;
  /** llama-quantize `input` into `output` with a llama_ftype (2 Q4_0, 7 Q8_0, 15 Q4_K_M). */
  quantizeModel(input: string, output: string, ftype: number): void;
}

export function loadGgmlOracle(): GgmlOracle | undefined {
  if (process.platform !== "linux" || process.arch !== "x64") return undefined;
  let lib: string;
  try {
    const require = createRequire(import.meta.url);
    // The package exports only dist/index.js; bins/ sits beside dist/.
    const pkg = dirname(dirname(require.resolve("@node-llama-cpp/linux-x64")));
    lib = join(pkg, "bins", "linux-x64", "libggml-base.so");
  } catch {
    return undefined;
  }
  const libllama = join(dirname(lib), "libllama.v0.4.0.so");
  if (!existsSync(lib) || !existsSync(libllama) || spawnSync("cc", ["--version"]).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "ggml-oracle-"));
  writeFileSync(join(dir, "oracle.c"), SOURCE);
  const exe = join(dir, "oracle");
  execFileSync("cc", ["-O1", "-o", exe, join(dir, "oracle.c"), "-ldl"]);
  writeFileSync(join(dir, "quantize.c"), QUANTIZE_MODEL_SOURCE);
  const quantizeExe = join(dir, "quantize");
  execFileSync("cc", ["-O1", "-o", quantizeExe, join(dir, "quantize.c"), "-ldl"]);
  const call = (fn: string, input: Uint8Array, n: number, bytes: number, outSize: number) =>
    execFileSync(exe, [lib, fn, String(n), String(bytes)], { input, maxBuffer: outSize + 1024 });
  return {
    quantize(fn, x, outBytes) {
      const out = call(fn, new Uint8Array(x.buffer, x.byteOffset, x.byteLength), x.length, outBytes, outBytes);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
    dequantize(fn, bytes, n) {
      const out = call(fn, bytes, n, bytes.length, n * 4);
      return new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
    },
    quantizeModel(input, output, ftype) {
      execFileSync(quantizeExe, [libllama, input, output, String(ftype)], { stdio: "ignore" });
    },
  };
}
