import { basename } from "node:path";
import type { Token } from "node-llama-cpp";
import { UserError } from "../errors.js";

/**
 * A PRM *family*: how a solution's steps become one token sequence, where the step rewards are
 * read, and how a reward comes out of llama.cpp's next-token distribution at those positions.
 * Every family is one small module behind this interface (qwen-head.ts, plus-minus.ts).
 */
export const PRM_FAMILIES = ["qwen-prm-head", "plus-minus"] as const;
export type PrmFamilyName = (typeof PRM_FAMILIES)[number];

/** One sequence to evaluate: its tokens and the positions whose next-token read-out is a step reward. */
export interface Encoded {
  tokens: Token[];
  /** Ascending; one per step. The sequence ends at the last one (nothing after it is evaluated). */
  rewardPositions: number[];
}

/** `generateNext` of node-llama-cpp's `controlledEvaluate` input item. */
export interface GenerateNext {
  probabilities: true;
  options: { temperature: number; topK: number; topP: number; minP: number; tokenBias: unknown };
}

/** Thrown by `reward` when the read-out at this level is out of range: re-read at `level + 1`. */
export class ReadoutRangeError extends Error {
  override name = "ReadoutRangeError";
}

export interface PrmScorer {
  readonly family: PrmFamilyName;
  /** e.g. "qwen2.5-math-prm", "deepseek-data", "mistral-data". */
  readonly variant: string;
  /** A solution (or partial solution) as the family's steps. */
  splitSteps(text: string): string[];
  encode(question: string, steps: readonly string[]): Encoded;
  /** Number of read-out levels (escalation after a ReadoutRangeError). */
  readonly levels: number;
  generateNext(level: number): GenerateNext;
  /** P(step is good) from the probabilities at a reward position. */
  reward(probabilities: Map<Token, number>, level: number): number;
  /** Settings worth recording in the output's metadata. */
  describe(): Record<string, unknown>;
}

export interface FamilyDetection {
  family: PrmFamilyName;
  variant: string;
  /** Where the family came from. */
  source: "override" | "gguf" | "registry" | "name";
}

export function parseFamily(name: string, where: string): PrmFamilyName {
  if ((PRM_FAMILIES as readonly string[]).includes(name)) return name as PrmFamilyName;
  throw new UserError(`${where}: unknown PRM family "${name}"; valid families: ${PRM_FAMILIES.join(", ")}`);
}

/**
 * The family of a PRM GGUF: `--prm_family` wins (an explicit override), then the GGUF's own
 * `prm_rel.family`, then the registry entry's family, then the model's name (RLHFlow's
 * Llama3.1-8B-PRM-* GGUFs published by others carry no prm_rel metadata). Otherwise one UserError.
 */
export function detectFamily(input: { metadata: any; path: string; entry?: { id: string; family?: string }; override?: string }): FamilyDetection {
  const { metadata, path, entry, override } = input;
  const name = `${entry?.id ?? ""} ${metadata?.general?.name ?? ""} ${basename(path)}`;
  const declared = metadata?.prm_rel?.variant ?? metadata?.prm_rel?.plus_minus?.variant;
  const variantOf = (family: PrmFamilyName) =>
    family === "qwen-prm-head" ? "qwen2.5-math-prm" : typeof declared === "string" ? declared : /mistral[-_ ]?data/i.test(name) ? "mistral-data" : "deepseek-data";
  if (override) {
    const family = parseFamily(override, "--prm_family");
    return { family, variant: variantOf(family), source: "override" };
  }
  const own = metadata?.prm_rel?.family;
  if (own !== undefined) {
    const family = parseFamily(String(own), `${path} (GGUF metadata prm_rel.family)`);
    return { family, variant: variantOf(family), source: "gguf" };
  }
  if (entry?.family) {
    const family = parseFamily(entry.family, `registry entry ${entry.id}`);
    return { family, variant: variantOf(family), source: "registry" };
  }
  if (/rlhflow|llama3\.1-8b-prm/i.test(name)) return { family: "plus-minus", variant: variantOf("plus-minus"), source: "name" };
  if (/qwen2\.5-math-prm/i.test(name)) return { family: "qwen-prm-head", variant: variantOf("qwen-prm-head"), source: "name" };
  throw new UserError(
    `${path} is not a PRM of a known family (no prm_rel.family metadata, not a registry id, name not recognised); ` +
      `pass --prm_family with one of: ${PRM_FAMILIES.join(", ")}`,
  );
}
