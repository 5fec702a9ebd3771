import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";

/**
 * `node dist/bench/cpuprofile-top.js [--top N] FILE.cpuprofile…` — self time per function of a V8
 * CPU profile (what `node --cpu-prof` writes), summed over every node of the same function, top N
 * (default 25) per file.
 * "(program)" is native work outside JS (e.g. N-API callbacks building arrays), "(idle)" the
 * event loop waiting.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ options: { top: { type: "string", default: "25" } }, allowPositionals: true });
for (const file of positionals) summarize(file, Number(values.top));

function summarize(file: string, top: number): void {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let total = 0;
  // A sample's time is the delta to the next sample.
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const f = byId.get(p.samples[i])!.callFrame;
    const key = f.url ? `${f.functionName || "(anonymous)"} ${basename(f.url)}:${f.lineNumber + 1}` : f.functionName;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  const busy = total - (self.get("(idle)") ?? 0);
  console.log(`${basename(file)}: ${total.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms not idle`);
  for (const [key, ms] of [...self].sort((x, y) => y[1] - x[1]).slice(0, top)) {
    console.log(`${ms.toFixed(1).padStart(9)} ms ${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${key}`);
  }
}
