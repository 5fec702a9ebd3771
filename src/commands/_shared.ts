import type { ArgsDef } from "citty";
import { UserError } from "../errors.js";
import { log } from "../log.js";

/** Flags shared by every command that loads a model. */
export const runtimeArgs = {
  device: {
    type: "string",
    description: "Where models run: auto | cuda | cpu",
    valueHint: "auto|cuda|cpu",
  },
  threads: {
    type: "string",
    description: "CPU threads for llama.cpp (default: all cores)",
  },
} as const satisfies ArgsDef;

/** Flags that decide what happens to an existing output file. */
export const outputPolicyArgs = {
  overwrite: {
    type: "boolean",
    description: "Replace an existing output made with other settings",
    default: false,
  },
  resume: {
    type: "boolean",
    description: "Continue an existing output made with the same settings (on by default)",
    default: true,
  },
} as const satisfies ArgsDef;

/**
 * Reject flags the command does not know: citty accepts anything, and a typo such as `--temprature`
 * silently running with the default would cost a user hours.
 */
export function rejectUnknownFlags(rawArgs: string[], args: ArgsDef, listFlags: string[] = []): void {
  const known = new Set<string>(["help", "h", ...listFlags]);
  for (const [name, def] of Object.entries(args)) {
    known.add(name);
    const aliases = "alias" in def && def.alias ? ([] as string[]).concat(def.alias) : [];
    for (const a of aliases) known.add(a);
  }
  for (const arg of rawArgs) {
    if (arg === "--") break;
    // Only "-x…"/"--x…" with a letter count as flags: "-3" or "-\frac12" are values.
    const match = /^--?([A-Za-z][^=]*)/.exec(arg);
    if (!match) continue;
    const name = match[1].replace(/^no-/, "");
    if (!known.has(name) && !known.has(match[1])) {
      throw new UserError(`unknown flag --${match[1]}; run with --help to list the valid flags`);
    }
  }
}

/**
 * Values of a flag that takes several values, the seed's way (`--token_thresholds 128 256 512`),
 * also repeated (`--data_file a.json --data_file b.json`). Returns undefined when absent.
 */
export function listFlag(rawArgs: string[], name: string): string[] | undefined {
  let values: string[] | undefined;
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    if (arg === `--${name}`) {
      values ??= [];
      while (i + 1 < rawArgs.length && !rawArgs[i + 1].startsWith("--")) values.push(rawArgs[++i]);
    } else if (arg.startsWith(`--${name}=`)) {
      values ??= [];
      values.push(...arg.slice(name.length + 3).split(",").filter(Boolean));
    }
  }
  return values;
}

/** Parse an integer flag; `min` bounds it from below. */
export function intFlag(value: string | undefined, name: string, fallback: number | undefined, min = 0): number | undefined {
  if (value === undefined || value === "") return fallback;
  if (!/^-?\d+$/.test(String(value).trim())) throw new UserError(`--${name} must be an integer, got "${value}"`);
  const n = Number(value);
  if (n < min) throw new UserError(`--${name} must be at least ${min}, got ${n}`);
  return n;
}

/** Parse a finite number flag. */
export function numberFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UserError(`--${name} must be a number, got "${value}"`);
  return n;
}

/** Check an enumerated flag and list the valid names when it is wrong. */
export function enumFlag<T extends string>(value: string | undefined, name: string, valid: readonly T[], fallback: T): T {
  if (value === undefined || value === "") return fallback;
  if (!(valid as readonly string[]).includes(value)) {
    throw new UserError(`--${name} "${value}" is not valid; use one of: ${valid.join(", ")}`);
  }
  return value as T;
}

/**
 * Run long work with Ctrl-C handling: the first Ctrl-C aborts the signal so the core saves what
 * is finished and throws InterruptedError; a second one quits at once.
 */
export async function withInterrupt<T>(what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    log.warn(`stopping… (${what}; Ctrl-C again to quit at once)`);
    abort.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    return await work(abort.signal);
  } finally {
    process.off("SIGINT", onSigint);
  }
}
