import { BEST_OF_N_TITLE, renderBestOfNTable } from "../report/bestofn-table.js";
import { CORRELATION_TITLES, renderCorrelationTable } from "../report/correlation-table.js";
import { tauLabel } from "../report/format.js";
import { FULL_VIEW, POOLED, POOLED_TITLE, type Analysis, type ScoreDocument } from "./document.js";

const NONE = { r: null, n: 0, p: null, ci95: null, reason: "not computed" } as const;
/** Rows are thresholds; `Infinity` stands for the full solution. */
const label = (tau: number) => (Number.isFinite(tau) ? tauLabel(tau) : FULL_VIEW);
const viewKey = (tau: number) => (Number.isFinite(tau) ? String(tau) : FULL_VIEW);

/** The tables of one analysis: the seed's summary table first, then the other two correlations, then Best-of-N. */
export function renderAnalysis(heading: string, a: Analysis, thresholds: readonly number[], aggregations: readonly string[]): string {
  const opts = { rowLabel: label };
  const parts = [
    `${heading} (${a.scored_solutions} scored solutions)\n`,
    renderCorrelationTable(CORRELATION_TITLES.partialToCorrectness, thresholds, aggregations, (t, g) => a.partial_to_correctness[t]?.[g] ?? NONE),
    renderCorrelationTable(CORRELATION_TITLES.partialToFinal, thresholds, aggregations, (t, g) => a.partial_to_final[t]?.[g] ?? NONE),
    renderCorrelationTable(CORRELATION_TITLES.finalToCorrectness, [Infinity], aggregations, (_t, g) => a.final_to_correctness[g] ?? NONE, opts),
    renderBestOfNTable(
      BEST_OF_N_TITLE,
      [...thresholds, Infinity],
      aggregations,
      (t, g) => a.best_of_n.by_view[viewKey(t)]?.[g] ?? null,
      { majority: a.best_of_n.majority, meanSingle: a.best_of_n.mean_single, passAtN: a.best_of_n.pass_at_n, n: a.best_of_n.n },
      opts,
    ),
  ];
  return parts.join("\n");
}

/** Every table of a score document: one block per data file, then the pooled block. */
export function renderDocument(doc: ScoreDocument): string {
  const { token_thresholds: thresholds, aggregation_methods: aggregations } = doc.metadata.settings;
  const blocks: string[] = [];
  if (doc.metadata.status !== "complete") blocks.push(`NOTE: partial results (interrupted run); tables cover the scored solutions only.\n`);
  for (const [key, a] of Object.entries(doc.analysis)) {
    const file = doc.files.find((f) => f.data_file === key);
    const heading = key === POOLED ? POOLED_TITLE : `${key}${file ? ` — ${file.dataset}, generator ${file.model_name}, N=${file.N}` : ""}`;
    blocks.push(renderAnalysis(heading, a, thresholds, aggregations));
  }
  return blocks.join("\n");
}
