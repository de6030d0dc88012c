import type { KernelRunPhase } from '@holdout/contracts';

/**
 * Redis pub/sub between kernel workers and the API. Log lines ride the platform's event
 * channels (`<prefix>:events:*`, fanned out by the API's EventsBus); cancels go to workers.
 */
export const kernelChannels = {
  log: (prefix: string, submissionId: string) => `${prefix}:events:kernel-log:${submissionId}`,
  /** Message: the submission id. Every kernel and model worker listens; the one running it aborts. */
  cancel: (prefix: string) => `${prefix}:kernels:cancel`,
};

/**
 * Each kernel worker announces its machine (`KernelHost` JSON: CPUs, memory, GPUs) under its own
 * key, refreshed well within the expiry, so the API knows what the workers online can give.
 */
export const kernelHostKeys = {
  one: (prefix: string, owner: string) => `${prefix}:kernel-hosts:${owner}`,
  pattern: (prefix: string) => `${prefix}:kernel-hosts:*`,
  ttlSeconds: 60,
  refreshMs: 20_000,
};

/** Live kernel output on the event bus: a batch of lines (already capped by the runner). */
export interface KernelLogEvent {
  type: 'kernel-log';
  submissionId: string;
  /** Which run printed them: the API forwards each only to viewers who may read that run's log. */
  run: KernelRunPhase;
  /** The attempt whose run printed them (a run requeued after a worker stopped starts a new log). */
  attempt: number;
  lines: string[];
  /**
   * Where each line starts in the run's log file, in bytes of its UTF-8 text: a follower that read
   * the log file first forwards only the lines at or past the end of what it read.
   */
  at: number[];
}

/** Characters of a log line shown live (a longer line is cut, the cut marked). */
export const LOG_LINE_CHARS = 4000;

/** A line as it is shown live: cut at `LOG_LINE_CHARS` characters, the cut marked. */
export function capLogLine(line: string): string {
  return line.length > LOG_LINE_CHARS ? `${line.slice(0, LOG_LINE_CHARS)}…` : line;
}

/**
 * A run's log file text as the lines a follower is sent (`KernelLogEvent`'s): each line capped, with
 * where it starts, and `end`, where the next line will start. A last line without its newline is
 * left for the live stream (its newline may still come) unless the run is over (`final`).
 */
export function logFileLines(text: string, final: boolean): { lines: string[]; at: number[]; end: number } {
  const parts = text.split('\n');
  // After the last newline: nothing, or a line still being written.
  const rest = parts.pop()!;
  const lastToo = final && rest !== '';
  if (lastToo) parts.push(rest);
  const [lines, at] = [[] as string[], [] as number[]];
  let offset = 0;
  for (const p of parts) {
    lines.push(capLogLine(p));
    at.push(offset);
    offset += Buffer.byteLength(p) + 1;
  }
  return { lines, at, end: lastToo ? offset - 1 : offset };
}

/**
 * Artifact-store directory of a run: `kernel.log`, `submission.csv`, and for a public run the
 * files it left in /kaggle/working (`working/`). Runs over the hidden data keep the first layout's key.
 */
export const kernelRunKey = (submissionId: string, attempt: number, phase: KernelRunPhase = 'hidden') =>
  `kernel-runs/${submissionId}/${attempt}${phase === 'public' ? '-public' : ''}`;
