import type { Llama, LlamaModel } from "node-llama-cpp";
import { UserError, oneLine } from "../errors.js";
import { detectFamily, type FamilyDetection, type PrmScorer } from "./family.js";
import { plusMinusScorer } from "./plus-minus.js";
import { qwenHeadScorer } from "./qwen-head.js";

export interface LoadedPrm {
  model: LlamaModel;
  scorer: PrmScorer;
  detection: FamilyDetection;
  /** The context length the model was trained for (GGUF `<arch>.context_length`). */
  trainContext: number;
}

/** The scorer of a family for a loaded model. */
export function scorerFor(model: LlamaModel, path: string, detection: FamilyDetection): PrmScorer {
  return detection.family === "qwen-prm-head" ? qwenHeadScorer(model, path) : plusMinusScorer(model, path, detection.variant);
}

/** Load a PRM GGUF (all layers on the GPU when there is one) and its family's scorer. */
export async function loadPrm(llama: Llama, path: string, opts: { entry?: { id: string; family?: string }; familyOverride?: string } = {}): Promise<LoadedPrm> {
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: path });
  } catch (error) {
    throw new UserError(`cannot load PRM ${path}: ${oneLine(String((error as Error).message ?? error)).slice(0, 200)}`);
  }
  try {
    const metadata = model.fileInfo.metadata as any;
    const detection = detectFamily({ metadata, path, entry: opts.entry, override: opts.familyOverride });
    const scorer = scorerFor(model, path, detection);
    const arch = metadata?.general?.architecture;
    const trainContext = Number(metadata?.[arch]?.context_length) || model.trainContextSize;
    return { model, scorer, detection, trainContext };
  } catch (error) {
    await model.dispose();
    throw error;
  }
}
