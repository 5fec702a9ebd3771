import { log } from "../log.js";

/** Progress lines on stderr (every few seconds), token counts, and when to checkpoint. */
export class Progress {
  scored = 0;
  private evaluated: number;
  private naive: number;
  private escalations: number;
  private sessionEvaluated = 0;
  private readonly start = Date.now();
  private lastLog = Date.now();
  private lastSave = Date.now();

  constructor(
    private readonly total: number,
    private readonly already: number,
    private readonly logEveryMs = 5000,
    private readonly saveEveryMs = 60_000,
    /** Token counts of an earlier (resumed) run of the same output. */
    previous?: { evaluated?: number; naive?: number; escalations?: number },
  ) {
    this.evaluated = previous?.evaluated ?? 0;
    this.naive = previous?.naive ?? 0;
    this.escalations = previous?.escalations ?? 0;
  }

  done(tokensEvaluated: number, naiveTokens: number, escalations: number): void {
    this.scored++;
    this.evaluated += tokensEvaluated;
    this.sessionEvaluated += tokensEvaluated;
    this.naive += naiveTokens;
    this.escalations += escalations;
    const now = Date.now();
    if (now - this.lastLog >= this.logEveryMs || this.already + this.scored === this.total) {
      this.lastLog = now;
      const s = (now - this.start) / 1000;
      const left = this.total - this.already - this.scored;
      const eta = this.scored > 0 ? (left * s) / this.scored : 0;
      log.info(
        `scored ${this.already + this.scored}/${this.total} solutions · ${(this.sessionEvaluated / s).toFixed(0)} PRM tok/s · ` +
          `${(this.naive / Math.max(1, this.evaluated)).toFixed(1)}× fewer tokens than naive · ETA ${eta.toFixed(0)} s`,
      );
    }
  }

  checkpointDue(): boolean {
    if (Date.now() - this.lastSave < this.saveEveryMs) return false;
    this.lastSave = Date.now();
    return true;
  }

  tokens(): { evaluated: number; naive: number; ratio: number | null; escalations: number } {
    return { evaluated: this.evaluated, naive: this.naive, ratio: this.evaluated ? this.naive / this.evaluated : null, escalations: this.escalations };
  }
}
