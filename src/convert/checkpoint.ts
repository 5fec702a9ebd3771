import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { UserError } from "../errors.js";
import { readSafetensorsHeader, type TensorSource } from "./safetensors.js";

/** A Hugging Face checkpoint directory, opened: config, tokenizer files and where each tensor lives. */
export interface Checkpoint {
  dir: string;
  config: Record<string, any>;
  tokenizer: Record<string, any>;
  tokenizerConfig: Record<string, any>;
  /** chat_template.jinja beside the tokenizer files, when the template is not in tokenizer_config. */
  chatTemplateFile?: string;
  tensors: Map<string, TensorSource>;
}

export const INDEX_FILE = "model.safetensors.index.json";

function readJson(path: string, what: string): Record<string, any> {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UserError(`${what} ${path} is not valid JSON (${(error as Error).message.split("\n")[0]})`);
  }
}

/**
 * Open a checkpoint directory and check it is complete before anything is written: every shard
 * the index names exists, holds exactly the tensors the index assigns to it, and is not truncated.
 */
export function openCheckpoint(dir: string): Checkpoint {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir} is not a directory`);
  const need = (file: string) => {
    const path = join(dir, file);
    if (!existsSync(path)) throw new UserError(`${dir} has no ${file}: not a complete Hugging Face checkpoint`);
    return path;
  };
  const config = readJson(need("config.json"), "config");
  const tokenizer = readJson(need("tokenizer.json"), "tokenizer");
  const tcPath = join(dir, "tokenizer_config.json");
  const tokenizerConfig = existsSync(tcPath) ? readJson(tcPath, "tokenizer config") : {};
  const jinja = join(dir, "chat_template.jinja");
  return { dir, config, tokenizer, tokenizerConfig, chatTemplateFile: existsSync(jinja) ? jinja : undefined, tensors: locateTensors(dir) };
}

function locateTensors(dir: string): Map<string, TensorSource> {
  const files = readdirSync(dir);
  const shards = files.filter((f) => f.endsWith(".safetensors")).sort();
  const tensors = new Map<string, TensorSource>();
  const indexPath = join(dir, INDEX_FILE);
  if (!existsSync(indexPath)) {
    if (shards.length === 0) {
      const bin = files.some((f) => f.endsWith(".bin") || f.endsWith(".pt"));
      throw new UserError(`${dir} has no .safetensors weights${bin ? " (only PyTorch .bin files, which convert does not read)" : ""}`);
    }
    if (shards.length > 1 || !shards.includes("model.safetensors")) {
      throw new UserError(`${dir} has ${shards.length} safetensors file(s) (${shards.join(", ")}) but no ${INDEX_FILE}: cannot tell which tensors belong to the model`);
    }
    for (const t of readSafetensorsHeader(join(dir, "model.safetensors"))) tensors.set(t.name, t);
    return tensors;
  }
  const index = readJson(indexPath, "shard index");
  const weightMap: Record<string, string> | undefined = index.weight_map;
  if (!weightMap || typeof weightMap !== "object") throw new UserError(`${INDEX_FILE} has no weight_map`);
  const byShard = new Map<string, string[]>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (!byShard.has(shard)) byShard.set(shard, []);
    byShard.get(shard)!.push(tensor);
  }
  const missing = [...byShard.keys()].filter((s) => !existsSync(join(dir, s)));
  if (missing.length) {
    throw new UserError(`missing shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (listed in ${INDEX_FILE} of ${dir}): download the complete checkpoint`);
  }
  for (const [shard, expected] of byShard) {
    const found = new Map(readSafetensorsHeader(join(dir, shard)).map((t) => [t.name, t]));
    const absent = expected.filter((t) => !found.has(t));
    if (absent.length) {
      throw new UserError(`shard ${shard} does not match ${INDEX_FILE}: it lacks ${absent.length} tensor(s) the index assigns to it, e.g. ${absent[0]}`);
    }
    const extra = [...found.keys()].filter((t) => weightMap[t] !== shard);
    if (extra.length) {
      throw new UserError(`shard ${shard} does not match ${INDEX_FILE}: it holds ${extra.length} tensor(s) the index places elsewhere or omits, e.g. ${extra[0]}`);
    }
    for (const t of found.values()) tensors.set(t.name, t);
  }
  return tensors;
}

/** A readable model name for general.name: the config's own name, else the directory's. */
export function modelName(ckpt: Checkpoint, fallback?: string): string {
  const own = typeof ckpt.config._name_or_path === "string" ? ckpt.config._name_or_path : "";
  return fallback ?? (own && !own.startsWith("/") ? own : basename(ckpt.dir));
}
