/**
 * GPT-2's byte ↔ unicode map: byte-level BPE vocabularies (Qwen2, Llama 3) spell every byte as a
 * printable character, so a token string like "Ġthe" stands for the bytes " the".
 */
function buildByteMap(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = printable.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  }
  return map;
}

export const byteToUnicode: readonly string[] = buildByteMap();
const unicodeToByte = new Map(byteToUnicode.map((c, b) => [c, b]));

/** Spell UTF-8 text in the byte-level alphabet. */
export function toByteLevel(text: string): string {
  let out = "";
  for (const b of Buffer.from(text, "utf8")) out += byteToUnicode[b];
  return out;
}

/** Back from the byte-level alphabet to text. */
export function fromByteLevel(token: string): string {
  const bytes: number[] = [];
  for (const ch of token) {
    const b = unicodeToByte.get(ch);
    if (b === undefined) throw new Error(`character ${JSON.stringify(ch)} is not in the byte-level alphabet`);
    bytes.push(b);
  }
  return Buffer.from(bytes).toString("utf8");
}
