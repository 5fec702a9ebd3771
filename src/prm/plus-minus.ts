import { TokenBias, type LlamaModel } from "node-llama-cpp";
import { UserError } from "../errors.js";
import { chatTemplateOf, renderChat, type ChatMessage } from "../llama/chat.js";
import { ReadoutRangeError, type Encoded, type GenerateNext, type PrmScorer } from "./family.js";

/** Math-Shepherd's step tag: RLHFlow's evaluation splits Mistral-generated answers on "ки\n". */
export const MATH_SHEPHERD_STEP_TAG = "ки\n";

/** Logit biases tried in turn: both tokens must end up above every other logit. */
const BIASES = [256, 4096] as const;

/**
 * RLHFlow's '+'/'-' PRMs (Llama3.1-8B-PRM-Deepseek-Data, -Mistral-Data; plain Llama-3.1 LMs):
 * a conversation user = question + " " + step 1, assistant = "+", user = step 2, assistant = "+", …
 * (steps stripped, as RLHFlow's prm_evaluate.py does). The reward of step k is softmax over the
 * logits of "+" and "-" at the position that predicts the k-th assistant "+" (P(+)): both tokens
 * are biased far above the rest and top-k = 2 keeps them, so the read-out is exactly that 2-way
 * softmax. The Mistral-Data variant was evaluated on answers whose steps end in Math-Shepherd's
 * "ки" tag; a solution that carries that tag is split on it, any other on "\n\n" (the seed's rule).
 */
export function plusMinusScorer(model: LlamaModel, modelPath: string, variant: string): PrmScorer {
  const template = chatTemplateOf(model, modelPath);
  const bos = model.tokens.bosString ?? "";
  const single = (text: string) => {
    const ids = model.tokenize(text, false);
    return ids[ids.length - 1];
  };
  // As RLHFlow's code: tokenizer.encode('+')[-1], tokenizer.encode('-')[-1].
  const plus = single("+");
  const minus = single("-");
  if (plus === undefined || minus === undefined || plus === minus) throw new UserError(`${modelPath}: the vocabulary has no distinct "+" and "-" tokens`);
  // Llama 3.1's template would otherwise stamp the current date into the prompt; this is its default.
  const render = (messages: ChatMessage[]) =>
    model.tokenize(renderChat(template, messages, false, { bos_token: bos, date_string: "26 Jul 2024" }), true);
  const probe = render([{ role: "user", content: "a" }, { role: "assistant", content: "+" }]);
  const probePlus = probe.lastIndexOf(plus);
  if (probePlus < 1) throw new UserError(`${modelPath}: its chat template does not render an assistant "+" as the token "+"`);
  const turnEnd: number | undefined = probe[probePlus + 1];
  const readouts = BIASES.map((logit) => {
    const bias = new TokenBias(model.tokenizer);
    bias.set(plus, { logit });
    bias.set(minus, { logit });
    return { probabilities: true, options: { temperature: 1, topK: 2, topP: 1, minP: 0, tokenBias: bias } } satisfies GenerateNext;
  });
  const mistral = variant === "mistral-data";

  return {
    family: "plus-minus",
    variant,
    levels: readouts.length,
    splitSteps(text) {
      return mistral && text.includes("ки") ? text.split(MATH_SHEPHERD_STEP_TAG) : text.split("\n\n");
    },
    encode(question, steps): Encoded {
      const messages: ChatMessage[] = [];
      steps.forEach((raw, k) => {
        const step = raw.trim();
        messages.push({ role: "user", content: k === 0 ? `${question} ${step}` : step });
        messages.push({ role: "assistant", content: "+" });
      });
      const tokens = render(messages);
      const all: number[] = [];
      for (let i = 1; i < tokens.length; i++) {
        if (tokens[i] === plus && tokens[i + 1] === turnEnd) all.push(i - 1);
      }
      if (all.length < steps.length) throw new Error(`found ${all.length} assistant "+" turns for ${steps.length} steps`);
      const rewardPositions = all.slice(all.length - steps.length);
      return { tokens: tokens.slice(0, rewardPositions[rewardPositions.length - 1] + 1), rewardPositions };
    },
    generateNext: (level) => readouts[level],
    reward(probabilities) {
      const p = probabilities.get(plus);
      const m = probabilities.get(minus);
      if (p === undefined || m === undefined || probabilities.size !== 2) throw new ReadoutRangeError(`"+"/"-" not the top-2 tokens after the bias`);
      return p / (p + m);
    },
    describe: () => ({ plus_token: plus, minus_token: minus, biases: BIASES, step_split: mistral ? "ки\\n if present, else \\n\\n" : "\\n\\n" }),
  };
}
