import { resolve } from "node:path";
import { InterruptedError, UserError } from "../errors.js";
import { readGenFile } from "../gen/read.js";
import type { GenFile } from "../gen/schema.js";
import { gradeAnswer } from "../grade/index.js";
import { getRuntime } from "../llama/runtime.js";
import { log } from "../log.js";
import { isQuantizedType } from "../models/quantization.js";
import { resolveModel } from "../models/resolve.js";
import { loadPrm } from "../prm/load.js";
import { writeFileAtomic } from "../util/atomic.js";
import { toolVersion } from "../util/version.js";
import { analyzeFiles } from "./analysis.js";
import { createScoringContexts } from "./context.js";
import { formatDocument, type ScoreDocument, type ScoredFile } from "./document.js";
import { runEngine } from "./engine.js";
import { generatorTokenizer, type GeneratorTokenizer } from "./generator-tokenizer.js";
import { longestSequence, solutionJobs, viewNames, type JobSource } from "./jobs.js";
import { defaultLayout, formatLayout, inFlight, parseLayout } from "./layout.js";
import { defaultOutputFile, existingOutput, fileDigest, fingerprintOf, type ScoreOptions } from "./options.js";
import { viewScores } from "./plan.js";
import { Progress } from "./progress.js";

export interface ScoreRun {
  document: ScoreDocument;
  outputFile: string;
}

/** Grade every full solution of a data file (MathArena rules; gold compared as String(gold)). */
function gradeFile(path: string, gen: GenFile): ScoredFile {
  return {
    data_file: path,
    dataset: gen.metadata.dataset,
    model_name: gen.metadata.model_name,
    N: gen.metadata.N,
    problems: gen.results.map((r) => ({
      index: r.index,
      gold_answer: r.gold_answer,
      solutions: r.solutions.map((s, sample) => {
        const g = gradeAnswer(s.text, String(r.gold_answer));
        return { sample, correct: g.correct, extracted: g.extracted ?? null, answer: g.normalizedAnswer ?? null, num_tokens: s.num_tokens };
      }),
    })),
  };
}

/**
 * `prm-rel score`: grade, truncate at every τ, score with the PRM (one engine pass serving every τ
 * and aggregation), correlate, Best-of-N; write the document atomically. Bad input fails before
 * any output exists; Ctrl-C (`signal`) saves the scored solutions and a re-run resumes them.
 */
export async function runScore(opts: ScoreOptions): Promise<ScoreRun> {
  const t0 = Date.now();
  const dataFiles = [...new Set(opts.dataFiles.map((f) => resolve(f)))];
  const gens = dataFiles.map((f) => readGenFile(f));
  gens.forEach((g, i) => (g.metadata as any).complete === false && log.warn(`${dataFiles[i]} is an unfinished gen run: scoring the problems it holds`));
  const outputFile = resolve(opts.outputFile ?? defaultOutputFile(dataFiles, opts.prmModel));
  const quantization = opts.noQuantization ? "F16" : "Q4_K_M";
  // The runtime first: a missing GPU is one line before any download.
  const llama = await getRuntime({ device: opts.device, threads: opts.threads, tensorParallelSize: opts.tensorParallelSize, gpuMemoryUtilization: opts.gpuMemoryUtilization });
  const prmRef = await resolveModel(opts.prmModel, { role: "prm", quantization, signal: opts.signal, modelsDir: opts.modelsDir });
  const prm = await loadPrm(llama, prmRef.path, { entry: prmRef.entry, familyOverride: opts.prmFamily });
  const tokenizers: GeneratorTokenizer[] = [];
  try {
    const genFlag = opts.generatorModel
      ? (await resolveModel(opts.generatorModel, { role: "generator", quantization: "Q4_K_M", signal: opts.signal, modelsDir: opts.modelsDir })).path
      : undefined;
    for (let i = 0; i < gens.length; i++) {
      tokenizers.push(await generatorTokenizer({ llama, flagPath: genFlag, dataFile: dataFiles[i], metadata: gens[i].metadata, prm: { model: prm.model, path: prmRef.path } }));
    }
    const settings = {
      data_files: dataFiles,
      data_sha256: dataFiles.map(fileDigest),
      prm_model: opts.prmModel,
      prm_file: prmRef.path,
      quantization: prmRef.quantization,
      prm_family: prm.detection.family,
      prm_variant: prm.detection.variant,
      generator_tokenizers: tokenizers.map((t) => t.path),
      token_thresholds: opts.thresholds,
      aggregation_methods: [...opts.aggregations],
    };
    const fingerprint = fingerprintOf(settings);
    const previous = existingOutput(outputFile, fingerprint, opts.overwrite ?? false);
    const files = previous?.files ?? gens.map((g, i) => gradeFile(dataFiles[i], g));
    const sources: JobSource[] = files.map((file, i) => ({
      file,
      question: (p) => gens[i].results[p].question,
      text: (p, s) => gens[i].results[p].solutions[s].text,
      tokenizer: tokenizers[i].tokenizer,
    }));
    const contextSize = longestSequence(sources, prm.scorer, prm.trainContext) + 1;
    const total = files.reduce((n, f) => n + f.problems.reduce((m, p) => m + p.solutions.length, 0), 0);
    const already = files.reduce((n, f) => n + f.problems.reduce((m, p) => m + p.solutions.filter((s) => s.views).length, 0), 0);
    const gpu = llama.gpu !== false;
    if (gpu && isQuantizedType(prmRef.quantization)) {
      log.info(`the PRM's weights are quantized: on a GPU llama.cpp's quantized kernels scored a 7B PRM 1.5× slower than F16 weights (H200, Q4_0 vs F16: 12.0k vs 18.2k tokens/s, bench/RESULTS.md); where F16 fits the card, --no_quantization (hub models) or an F16 file (prm-rel convert's default) scores faster`);
    }
    const wanted = typeof opts.layout === "string" ? parseLayout(opts.layout) : (opts.layout ?? defaultLayout({ parallel: opts.parallel, gpu }));
    const { contexts, layout, batchSize } = await createScoringContexts(prm.model, { contextSize, layout: wanted, gpu, flashAttention: opts.flashAttention, threads: opts.contextThreads });
    const sequences = inFlight(layout);
    const tLoaded = Date.now();
    const progress = new Progress(total, already, undefined, undefined, (previous?.metadata as any)?.tokens);
    const views = viewNames(opts.thresholds);
    const metadata = (status: "complete" | "partial"): ScoreDocument["metadata"] => ({
      tool: "prm-rel score",
      version: toolVersion,
      status,
      fingerprint,
      settings: { ...settings, device: opts.device, threads: opts.threads ?? null, parallel: sequences, no_quantization: opts.noQuantization },
      prm: {
        model: opts.prmModel, file: prmRef.path, source: prmRef.source, quantization: prmRef.quantization,
        family: prm.detection.family, family_source: prm.detection.source, variant: prm.detection.variant,
        readout: prm.scorer.describe(), train_context: prm.trainContext, context_size: contextSize,
        // sequences: solutions in flight (= contexts × sequences per context, the layout).
        sequences, layout: formatLayout(layout), contexts: layout.contexts, sequences_per_context: layout.sequences, context_threads: opts.contextThreads ?? null,
        batch_size: batchSize, flash_attention: opts.flashAttention ?? gpu,
        gpu: llama.gpu,
      },
      generator_tokenizers: tokenizers.map((t, i) => ({ data_file: dataFiles[i], file: t.path, source: t.source })),
      tokens: progress.tokens(),
      // Solutions whose text re-tokenizes to another length than the gen stage's num_tokens (τ uses the former).
      generator_token_mismatches: files.reduce((n, f) => n + f.problems.reduce((m, p) => m + p.solutions.filter((s) => s.gen_tokens !== undefined && s.gen_tokens !== s.num_tokens).length, 0), 0),
      timings: { load_s: (tLoaded - t0) / 1000, score_s: (Date.now() - tLoaded) / 1000, total_s: (Date.now() - t0) / 1000 },
    });
    const save = (status: "complete" | "partial") => {
      const document: ScoreDocument = { metadata: metadata(status), files, analysis: analyzeFiles(files, opts.thresholds, opts.aggregations) };
      writeFileAtomic(outputFile, formatDocument(document));
      return document;
    };
    log.info(`scoring ${total - already} of ${total} solutions with ${prm.detection.family} (${prmRef.path}), ${sequences} in flight (${formatLayout(layout)} contexts × sequences), context ${contextSize}`);
    const before = already;
    try {
      await runEngine(solutionJobs(sources, prm.scorer, opts.thresholds, opts.aggregations), {
        scorer: prm.scorer,
        contexts,
        signal: opts.signal,
        onJobDone: (job, result) => {
          const scored = viewScores(job.key.plan, result.rewards, opts.aggregations);
          job.key.solution.views = Object.fromEntries(views.map((v, i) => [v, scored[i]]));
          progress.done(result.tokensEvaluated, job.key.naiveTokens, result.escalations);
          if (progress.checkpointDue()) save("partial");
        },
      });
    } catch (error) {
      // Keep what was scored before a failure; the same command resumes from it.
      if (progress.scored > 0) save("partial");
      throw error;
    } finally {
      for (const context of contexts) await context.dispose();
    }
    if (opts.signal?.aborted) {
      save("partial");
      throw new InterruptedError(`interrupted: ${before + progress.scored} of ${total} solutions scored and saved to ${outputFile}; run the same command again to resume`);
    }
    const document = save("complete");
    log.info(`scored ${total} solutions in ${((Date.now() - tLoaded) / 1000).toFixed(1)} s; wrote ${outputFile}`);
    return { document, outputFile };
  } finally {
    for (const t of tokenizers) await t.dispose();
    await prm.model.dispose();
  }
}

/** Unknown-field-safe read of a score document for `--from_results`. */
export function checkDocument(doc: any, path: string): ScoreDocument {
  const s = doc?.metadata?.settings;
  if (!s || !Array.isArray(s.token_thresholds) || !Array.isArray(s.aggregation_methods) || !Array.isArray(doc.files)) {
    throw new UserError(`${path} is not a prm-rel score output (metadata.settings.token_thresholds / aggregation_methods / files missing)`);
  }
  return { ...doc, analysis: analyzeFiles(doc.files, s.token_thresholds, s.aggregation_methods) };
}
