/** Text renderers for the score stage's results (stdout). */
export { CORRELATION_TITLES, renderCorrelationTable, row, type CorrelationTableOptions } from "./correlation-table.js";
export { BEST_OF_N_TITLE, baselineLine, renderBestOfNTable, type BestOfNBaselines, type BestOfNTableOptions } from "./bestofn-table.js";
export { formatP, renderCorrelationDetails } from "./correlation-details.js";
export { PLOT_MARKERS, renderCorrelationPlot, type PlotOptions } from "./plot.js";
export { cell, COLUMN, FIRST_COLUMN, formatAccuracy, formatCount, formatFixed, formatPercent, rule, tauLabel, TABLE_WIDTH } from "./format.js";
