import { defineCommand } from "citty";
import { UserError } from "../errors.js";
import { readGenFile } from "../gen/read.js";
import { gradeAnswer } from "../grade/grade.js";
import { gradeGenFile } from "../grade/gen-file.js";
import { formatGenReport, formatVerdict, genReportJson, type GradedFile } from "../grade/report.js";
import { log } from "../log.js";
import { listFlag, rejectUnknownFlags } from "./_shared.js";

const args = {
  answer: { type: "string", description: "A solution text to grade (its answer is its last \\boxed{}); needs --gold" },
  gold: { type: "string", description: "The gold answer for --answer" },
  data_file: { type: "string", description: "One or more `prm-rel gen` data files to grade", valueHint: "FILE..." },
  strict: { type: "boolean", description: "No fallback to the last integer when there is no usable \\boxed{}", default: false },
  verbose: { type: "boolean", description: "List every unparseable answer", default: false },
  json: { type: "boolean", description: "Print a JSON document (every solution's extracted answer and verdict)", default: false },
} as const;

/** Value of a string flag, also when citty saw `--gold 042` and handed back a number. */
function text(value: unknown): string | undefined {
  if (value === undefined || value === null || value === true || value === false) return undefined;
  return String(value);
}

export default defineCommand({
  meta: {
    name: "grade",
    description: "Grade answers with MathArena's rules: one --answer against --gold, or every solution of --data_file files",
  },
  args,
  run({ rawArgs, args: parsed }) {
    // the values of --answer/--gold may look like flags ("-\\frac{1}{2}"): skip them here
    const flags = rawArgs.filter((_, i) => i === 0 || (rawArgs[i - 1] !== "--answer" && rawArgs[i - 1] !== "--gold"));
    rejectUnknownFlags(flags, args, ["data_file"]);
    const files = listFlag(rawArgs, "data_file");
    const answer = rawValue(rawArgs, "answer") ?? text(parsed.answer);
    const gold = rawValue(rawArgs, "gold") ?? text(parsed.gold);
    const opts = { strict: Boolean(parsed.strict) };

    if (files !== undefined) {
      if (answer !== undefined || gold !== undefined) throw new UserError("give either --data_file or --answer/--gold, not both");
      if (files.length === 0) throw new UserError("--data_file needs at least one file");
      const graded: GradedFile[] = files.map((path) => {
        const file = readGenFile(path);
        log.info(`grading ${path}: ${file.results.length} problems`);
        return { path, grade: gradeGenFile(file, opts) };
      });
      process.stdout.write(
        parsed.json ? JSON.stringify(genReportJson(graded), null, 2) + "\n" : formatGenReport(graded, Boolean(parsed.verbose)) + "\n",
      );
      return;
    }
    if (answer === undefined && gold === undefined) {
      throw new UserError("nothing to grade: pass --answer TEXT --gold TEXT, or --data_file FILE...");
    }
    if (answer === undefined) throw new UserError("--gold needs --answer TEXT (the solution or answer to grade)");
    if (gold === undefined) throw new UserError("--answer needs --gold TEXT (the gold answer)");
    if (gold.trim() === "") throw new UserError("--gold is empty");
    const verdict = gradeAnswer(answer, gold, opts);
    if (verdict.source !== "box" && verdict.source !== "line-boxes" && !/(?:boxed|fbox)\{/.test(answer)) {
      log.warn("--answer has no \\boxed{}: graded as a solution text (MathArena's fallback); write \\boxed{…} to grade a bare answer");
    }
    if (parsed.json) {
      const { correct, extracted, normalizedAnswer, normalizedGold, source } = verdict;
      const doc = { extracted, normalized_answer: normalizedAnswer, normalized_gold: normalizedGold, source, correct };
      process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
    } else {
      process.stdout.write(formatVerdict(verdict) + "\n");
    }
  },
});

/**
 * The raw text after `--name` (or in `--name=…`): citty would read `--gold -3` as a flag and
 * `--gold 042` as the number 42, and an answer may well start with `-` or hold leading zeros.
 */
function rawValue(rawArgs: string[], name: string): string | undefined {
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i];
    if (a === `--${name}`) {
      if (i + 1 >= rawArgs.length) throw new UserError(`--${name} needs a value`);
      return rawArgs[i + 1];
    }
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}
