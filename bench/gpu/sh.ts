import { execSync } from "node:child_process";

/** A shell command's trimmed stdout, or "" when it fails (e.g. no nvidia-smi): benchmarks only describe the host with it. */
export function sh(cmd: string): string {
  try {
    return execSync(cmd, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}
