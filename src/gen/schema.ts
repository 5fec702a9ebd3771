import * as v from "valibot";

/**
 * The seed's Step 1 file, field for field: `metadata`, `results[].index`, `question`,
 * `gold_answer`, `solutions[].text`, `num_tokens`. Extra per-solution fields are allowed
 * (finish_reason); none of the seed's may change.
 */
export const GenSolution = v.looseObject({
  text: v.string(),
  num_tokens: v.pipe(v.number(), v.integer(), v.minValue(0)),
  finish_reason: v.optional(v.picklist(["stop", "length"])),
});
export type GenSolution = v.InferOutput<typeof GenSolution>;

export const GenProblem = v.looseObject({
  index: v.pipe(v.number(), v.integer(), v.minValue(0)),
  question: v.string(),
  // Kept as given in the dataset (MathArena stores int64 in some sets, strings in others);
  // graders always compare String(gold_answer).
  gold_answer: v.union([v.string(), v.number()]),
  solutions: v.array(GenSolution),
});
export type GenProblem = v.InferOutput<typeof GenProblem>;

export const GenFile = v.looseObject({
  metadata: v.looseObject({
    model_name: v.string(),
    dataset: v.string(),
    N: v.pipe(v.number(), v.integer(), v.minValue(1)),
  }),
  results: v.array(GenProblem),
});
export type GenFile = v.InferOutput<typeof GenFile>;
