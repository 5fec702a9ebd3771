import { defineCommand, runCommand, showUsage, type CommandDef } from "citty";
import { log } from "./log.js";
import { InterruptedError, UserError, oneLine } from "./errors.js";
import { toolVersion } from "./util/version.js";

const main = defineCommand({
  meta: {
    name: "prm-rel",
    version: toolVersion,
    description: "How early can a Process Reward Model be trusted? Best-of-N sampling and PRM reliability at token thresholds.",
  },
  // Lazy: `prm-rel grade` never pays for loading node-llama-cpp.
  subCommands: {
    gen: () => import("./commands/gen.js").then((m) => m.default),
    score: () => import("./commands/score.js").then((m) => m.default),
    grade: () => import("./commands/grade.js").then((m) => m.default),
    convert: () => import("./commands/convert.js").then((m) => m.default),
    demo: () => import("./commands/demo.js").then((m) => m.default),
  },
});

async function resolveSub(rawArgs: string[]): Promise<[CommandDef<any>, CommandDef<any>?]> {
  const name = rawArgs.find((a) => !a.startsWith("-"));
  const subs = await (typeof main.subCommands === "function" ? main.subCommands() : main.subCommands);
  const loader = name && subs ? subs[name] : undefined;
  if (!loader) return [main];
  const sub = await (typeof loader === "function" ? loader() : loader);
  return [sub, main];
}

async function run(rawArgs: string[]): Promise<number> {
  if (rawArgs.length === 0 || rawArgs.includes("--help") || rawArgs.includes("-h")) {
    const [cmd, parent] = await resolveSub(rawArgs);
    await showUsage(cmd, parent);
    return 0;
  }
  if (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v")) {
    process.stdout.write(toolVersion + "\n");
    return 0;
  }
  try {
    await runCommand(main, { rawArgs });
    return 0;
  } catch (error) {
    if (error instanceof UserError) {
      log.error(oneLine(error.message));
      return error.exitCode;
    }
    if (error instanceof InterruptedError) {
      log.warn(oneLine(error.message));
      return 130;
    }
    if (error instanceof Error && error.name === "CLIError") {
      log.error(`${oneLine(error.message)} (see \`prm-rel --help\`)`);
      return 2;
    }
    log.error(error);
    return 1;
  }
}

process.exitCode = await run(process.argv.slice(2));
