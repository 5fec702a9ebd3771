/** GGUF metadata value types (gguf.h). */
export enum GgufValueType {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
}

/** ggml tensor types this project writes or reads (ggml.h numbering). */
export enum GgmlType {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15, BF16 = 30,
}

/** Elements per block and bytes per block of each type. */
export const ggmlBlock: Record<number, { size: number; bytes: number }> = {
  [GgmlType.F32]: { size: 1, bytes: 4 },
  [GgmlType.F16]: { size: 1, bytes: 2 },
  [GgmlType.BF16]: { size: 1, bytes: 2 },
  [GgmlType.Q4_0]: { size: 32, bytes: 18 },
  [GgmlType.Q4_1]: { size: 32, bytes: 20 },
  [GgmlType.Q5_0]: { size: 32, bytes: 22 },
  [GgmlType.Q5_1]: { size: 32, bytes: 24 },
  [GgmlType.Q8_0]: { size: 32, bytes: 34 },
  [GgmlType.Q4_K]: { size: 256, bytes: 144 },
  [GgmlType.Q5_K]: { size: 256, bytes: 176 },
  [GgmlType.Q6_K]: { size: 256, bytes: 210 },
};

/** Bytes a tensor of `elements` values takes in `type`. */
export function tensorBytes(type: GgmlType, elements: number): number {
  const block = ggmlBlock[type];
  if (!block) throw new Error(`unsupported ggml type ${type}`);
  if (elements % block.size !== 0) throw new Error(`${elements} elements do not fill ${GgmlType[type]} blocks of ${block.size}`);
  return (elements / block.size) * block.bytes;
}

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;

/** llama.cpp token types (llama_token_type). */
export enum TokenType {
  NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6,
}
