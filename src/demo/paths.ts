import { join } from "node:path";
import { projectRoot } from "../util/version.js";

/** Where the embedded demo lives (absolute, so `prm-rel demo` works from any directory). */
export const DEMO_DIR = join(projectRoot, "models", "demo");
export const DEMO_GENERATOR = join(DEMO_DIR, "generator.gguf");
export const DEMO_PRM = join(DEMO_DIR, "prm.gguf");
export const DEMO_DATA = join(projectRoot, "data", "demo", "arith.jsonl");
