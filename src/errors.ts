/**
 * An error caused by what the user gave us (a flag, a file, a model). The CLI prints its message
 * as one line and exits non-zero; core code throws it and never exits itself.
 */
export class UserError extends Error {
  override name = "UserError";
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

/** Raised when a run is interrupted (Ctrl-C): partial results are already saved. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  constructor(message = "interrupted") {
    super(message);
  }
}

/** Collapse a message onto one line, for errors that come from libraries. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ").trim();
}
