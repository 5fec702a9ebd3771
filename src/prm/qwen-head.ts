import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TokenBias, type LlamaModel, type Token } from "node-llama-cpp";
import { UserError } from "../errors.js";
import { chatTemplateOf, renderChat } from "../llama/chat.js";
import { projectRoot } from "../util/version.js";
import { readHeadMetadata } from "./head-format.js";
import { firstLayerFromProbabilities, HEAD_READOUT_LEVELS, HeadRangeError, headRewardFromFirstLayer } from "./head-math.js";
import { ReadoutRangeError, type Encoded, type GenerateNext, type PrmScorer } from "./family.js";

/** The system prompt of Qwen2.5-Math-PRM's model card. */
export const QWEN_PRM_SYSTEM_PROMPT = readFileSync(join(projectRoot, "assets", "qwen-prm-system-prompt.txt"), "utf8");

/**
 * Qwen2.5-Math-PRM (7B, 72B): system prompt, user = question, assistant =
 * `steps.join("<extra_0>") + "<extra_0>"`, rendered with the GGUF's chat template without a
 * generation prompt; step reward = softmax(W2·ReLU(W1·h + b1) + b2)[1] at each `<extra_0>`, with
 * W1·h read from the next-token distribution (head-format.ts, head-math.ts).
 */
export function qwenHeadScorer(model: LlamaModel, modelPath: string): PrmScorer {
  const metadata = model.fileInfo.metadata as any;
  const head = readHeadMetadata(metadata);
  if (!head) {
    throw new UserError(
      `${modelPath} has no Qwen PRM head (prm_rel.head.* metadata): llama.cpp's own converter drops the reward head; make the GGUF with prm-rel convert`,
    );
  }
  const arch = metadata?.general?.architecture;
  const embedding = Number(metadata?.[arch]?.embedding_length);
  if (embedding !== head.hidden) throw new UserError(`${modelPath}: PRM head hidden size ${head.hidden} ≠ model embedding length ${embedding}`);
  if (head.b1.length !== head.hidden || head.w2.length !== 2 * head.hidden || head.b2.length !== 2) {
    throw new UserError(`${modelPath}: PRM head metadata has wrong lengths (b1 ${head.b1.length}, w2 ${head.w2.length}, b2 ${head.b2.length} for H = ${head.hidden})`);
  }
  const stepIds = model.tokenize(head.stepToken, true);
  if (stepIds.length !== 1) throw new UserError(`${modelPath}: step token ${head.stepToken} is not a single token of the vocabulary`);
  const stepId = stepIds[0];
  for (let j = 0; j <= head.hidden; j++) {
    if (model.isEogToken(j as Token)) throw new UserError(`${modelPath}: token ${j} is end-of-generation and cannot carry head row ${j}`);
  }
  const template = chatTemplateOf(model, modelPath);
  const bos = model.tokens.bosString ?? "";
  const readouts = HEAD_READOUT_LEVELS.map((level) => {
    const bias = new TokenBias(model.tokenizer);
    for (let j = 0; j <= head.hidden; j++) bias.set(j as Token, { logit: level.bias });
    return {
      probabilities: true,
      options: { temperature: level.temperature, topK: head.hidden + 1, topP: 1, minP: 0, tokenBias: bias },
    } satisfies GenerateNext;
  });

  return {
    family: "qwen-prm-head",
    variant: "qwen2.5-math-prm",
    levels: readouts.length,
    splitSteps: (text) => text.split("\n\n"),
    encode(question, steps): Encoded {
      const assistant = steps.join(head.stepToken) + head.stepToken;
      const messages = [
        { role: "system" as const, content: QWEN_PRM_SYSTEM_PROMPT },
        { role: "user" as const, content: question },
        { role: "assistant" as const, content: assistant },
      ];
      const tokens = model.tokenize(renderChat(template, messages, false, { bos_token: bos }), true);
      const all: number[] = [];
      for (let i = 0; i < tokens.length; i++) if (tokens[i] === stepId) all.push(i);
      if (all.length < steps.length) throw new Error(`found ${all.length} ${head.stepToken} tokens for ${steps.length} steps`);
      const rewardPositions = all.slice(all.length - steps.length);
      return { tokens: tokens.slice(0, rewardPositions[rewardPositions.length - 1] + 1), rewardPositions };
    },
    generateNext: (level) => readouts[level],
    reward(probabilities, level) {
      try {
        const z = firstLayerFromProbabilities(probabilities as Map<number, number>, head.hidden, HEAD_READOUT_LEVELS[level].temperature);
        return headRewardFromFirstLayer(z, head);
      } catch (error) {
        if (error instanceof HeadRangeError) throw new ReadoutRangeError(error.message);
        throw error;
      }
    },
    describe: () => ({ hidden: head.hidden, step_token: head.stepToken, readout_levels: HEAD_READOUT_LEVELS }),
  };
}
