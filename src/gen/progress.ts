import { log } from "../log.js";

/** Progress on stderr: a line per finished problem and, between them, one every 10 s. */
export class Progress {
  private readonly start = performance.now();
  private lastLine = performance.now();
  private done: number;
  private readonly resumed: number;

  constructor(private readonly total: number, alreadyDone: number) {
    this.done = alreadyDone;
    this.resumed = alreadyDone;
  }

  /** After each decode step. */
  tick(generatedTokens: number): void {
    if (performance.now() - this.lastLine < 10_000) return;
    log.info(`gen: ${this.line(generatedTokens)}`);
  }

  problemDone(generatedTokens: number): void {
    this.done++;
    log.info(`problem ${this.done}/${this.total} done · ${this.line(generatedTokens)}`);
  }

  private line(generatedTokens: number): string {
    this.lastLine = performance.now();
    const seconds = (this.lastLine - this.start) / 1000;
    const rate = seconds > 0 ? generatedTokens / seconds : 0;
    const fresh = this.done - this.resumed;
    // ETA from problems finished in this run (problems take similar time on average).
    const eta = fresh > 0 ? formatDuration((seconds / fresh) * (this.total - this.done)) : "…";
    return `${this.done}/${this.total} problems · ${generatedTokens} tokens · ${rate.toFixed(1)} tokens/s · ETA ${eta}`;
  }
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}
