/** Human-readable bytes: 1.2 GB, 340 MB. */
export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n.toFixed(n >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, "0")}m` : m ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}

/**
 * A progress line on stderr with bytes, rate and ETA. On a terminal it redraws one line (at most
 * 5× a second); elsewhere (logs, CI) it prints a line every 10% so logs stay short.
 */
export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr): { update(done: number, total: number): void; finish(): void } {
  const start = Date.now();
  let last = 0, lastDecile = -1, drawn = false;
  const line = (done: number, total: number) => {
    const secs = (Date.now() - start) / 1000;
    const rate = done / Math.max(secs, 1e-3);
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    const pct = total ? Math.floor((100 * done) / total) : 100;
    return `${label} ${formatBytes(done)} / ${formatBytes(total)} ${String(pct).padStart(3)}%  ${formatBytes(rate)}/s  ETA ${formatDuration(eta)}`;
  };
  return {
    update(done, total) {
      const now = Date.now();
      if (stream.isTTY) {
        if (now - last < 200 && done < total) return;
        last = now;
        stream.write(`\r${line(done, total)}\x1b[K`);
        drawn = true;
      } else {
        const decile = total ? Math.floor((10 * done) / total) : 10;
        if (decile === lastDecile) return;
        lastDecile = decile;
        stream.write(line(done, total) + "\n");
      }
    },
    finish() {
      if (drawn) stream.write("\n");
    },
  };
}
