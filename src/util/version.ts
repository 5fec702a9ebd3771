import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";

/** The project root: dist/src/util → three levels up; src/util (ts sources) → two. */
export const projectRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), import.meta.url.includes("/dist/") ? "../../.." : "../..");

export const toolVersion: string = JSON.parse(readFileSync(resolve(projectRoot, "package.json"), "utf8")).version;
