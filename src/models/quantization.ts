import { UserError } from "../errors.js";

/**
 * GGUF file types a user may name (llama.cpp's quantize names). Kept here rather than imported
 * from node-llama-cpp so that flag validation does not load the native addon's module tree.
 */
export const GGUF_TYPES = [
  "F32", "F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q5_0", "Q5_1", "Q4_K_M", "Q4_K_S", "Q4_0", "Q4_1",
  "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q2_K", "IQ4_XS", "IQ4_NL", "IQ3_M", "IQ3_S", "IQ3_XS", "IQ3_XXS", "IQ2_M",
  "IQ2_S", "IQ2_XS", "IQ2_XXS", "IQ1_M", "IQ1_S",
] as const;

/** Spellings people use for the same type. */
const TYPE_ALIASES: Record<string, string> = { FP16: "F16", FP32: "F32", Q4_K: "Q4_K_M", Q5_K: "Q5_K_M", Q3_K: "Q3_K_M" };

/** "q4_k_m" → "Q4_K_M", "fp16" → "F16"; undefined when it is not a GGUF type. */
export function normalizeGgufType(name: string): string | undefined {
  const up = name.trim().toUpperCase();
  const canonical = TYPE_ALIASES[up] ?? up;
  return (GGUF_TYPES as readonly string[]).includes(canonical) ? canonical : undefined;
}

/** GGUF types that store the weights unquantized. */
const UNQUANTIZED_TYPES = ["F32", "F16", "BF16"];

/**
 * Whether a GGUF type name (as `detectQuantization` or a registry entry gives it) is quantized; an
 * unknown name is not called quantized.
 * @example isQuantizedType("Q4_K_M") // true
 * @example isQuantizedType("f16") // false
 */
export function isQuantizedType(name: string): boolean {
  const type = normalizeGgufType(name);
  return type !== undefined && !UNQUANTIZED_TYPES.includes(type);
}

/** vLLM `--quantization` methods that store ~4-bit weights: a Q4_K_M GGUF stands in for them. */
export const FOUR_BIT_METHODS = ["awq", "awq_marlin", "gptq", "gptq_marlin", "marlin", "bitsandbytes", "bnb", "nf4", "int4", "4bit"] as const;
/** ~8-bit methods: Q8_0 stands in for them. */
export const EIGHT_BIT_METHODS = ["fp8", "fbgemm_fp8", "int8", "w8a8", "8bit", "experts_int8", "tpu_int8"] as const;
/** `--dtype` values (vLLM's) and the unquantized GGUF type each selects. */
export const DTYPE_TO_GGUF: Record<string, string> = {
  auto: "F16",
  float16: "F16",
  half: "F16",
  fp16: "F16",
  bfloat16: "BF16",
  bf16: "BF16",
  float32: "F32",
  float: "F32",
  fp32: "F32",
};
const NO_QUANTIZATION = ["", "none", "null", "no"];

/**
 * The GGUF type that the seed's generator flags select.
 * - `--quantization` wins when given: a GGUF type name passes through (`q8_0` → `Q8_0`); a 4-bit
 *   method (awq, gptq, bitsandbytes, …) → `Q4_K_M`; an 8-bit one (fp8, int8, …) → `Q8_0`.
 * - Otherwise (`None`, the seed's default) the unquantized type of `--dtype`: float16 / auto → `F16`
 *   (the seed's default run: float16, no quantization → F16), bfloat16 → `BF16`, float32 → `F32`.
 * Unknown values: a UserError listing the valid ones.
 * @example ggufQuantizationFor({ dtype: "float16", quantization: null }) // "F16"
 * @example ggufQuantizationFor({ dtype: "float16", quantization: "awq" }) // "Q4_K_M"
 */
export function ggufQuantizationFor({ dtype, quantization }: { dtype?: string | null; quantization?: string | null }): string {
  const q = (quantization ?? "").trim();
  if (!NO_QUANTIZATION.includes(q.toLowerCase())) {
    const lower = q.toLowerCase();
    if ((FOUR_BIT_METHODS as readonly string[]).includes(lower)) return "Q4_K_M";
    if ((EIGHT_BIT_METHODS as readonly string[]).includes(lower)) return "Q8_0";
    const gguf = normalizeGgufType(q);
    if (gguf) return gguf;
    throw new UserError(
      `--quantization "${q}" is not known; use None, a 4-bit method (${FOUR_BIT_METHODS.join(", ")}) → Q4_K_M, ` +
        `an 8-bit method (${EIGHT_BIT_METHODS.join(", ")}) → Q8_0, or a GGUF type (${GGUF_TYPES.join(", ")})`,
    );
  }
  const d = (dtype ?? "auto").trim().toLowerCase();
  const type = DTYPE_TO_GGUF[d];
  if (!type) throw new UserError(`--dtype "${dtype}" is not known; use one of ${Object.keys(DTYPE_TO_GGUF).join(", ")}`);
  return type;
}
