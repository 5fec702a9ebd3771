import { Template } from "@huggingface/jinja";
import type { LlamaModel } from "node-llama-cpp";
import { UserError } from "../errors.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** The chat template a GGUF carries (`tokenizer.chat_template`), or a clear error naming the file. */
export function chatTemplateOf(model: LlamaModel, modelPath: string): string {
  const template = (model.fileInfo.metadata as any)?.tokenizer?.chat_template;
  if (typeof template !== "string" || template.length === 0) {
    throw new UserError(`${modelPath} has no chat template (tokenizer.chat_template); use a chat/instruct GGUF or re-convert it with its tokenizer_config.json`);
  }
  return template;
}

/**
 * Render messages with the model's own Jinja chat template, exactly as Hugging Face's
 * `apply_chat_template(..., tokenize=False)` would (same Jinja engine family node-llama-cpp uses).
 */
export function renderChat(template: string, messages: ChatMessage[], addGenerationPrompt: boolean, extra: Record<string, unknown> = {}): string {
  return new Template(template).render({
    messages,
    add_generation_prompt: addGenerationPrompt,
    bos_token: "",
    eos_token: "",
    ...extra,
  });
}
