// A kernel submission's runs (public, then hidden), as the submission page shows them.
import type { KernelRunDto } from '@holdout/contracts';

/**
 * A run with its log: null when the viewer may not read it, or for an earlier attempt (`?run=`
 * reads the latest). `wholeBytes`: where the log's whole lines end, in bytes of UTF-8 (the offsets
 * streamed lines come with), once a streamed line has been placed in it.
 */
export type RunView = KernelRunDto & { log: string | null; wholeBytes?: number };

/** The runs `?run=public|hidden` names: the latest attempt of each phase (logs and files are read from those). */
export function latestOfEachPhase<R extends Pick<KernelRunDto, 'phase' | 'attempt'>>(runs: R[]): Set<R> {
  const last = new Map<string, R>();
  for (const r of runs) if ((last.get(r.phase)?.attempt ?? 0) <= r.attempt) last.set(r.phase, r);
  return new Set(last.values());
}

/** Where a file a run wrote downloads from. */
export function runFileUrl(submissionId: string, phase: KernelRunDto['phase'], name: string): string {
  return `/api/submissions/${encodeURIComponent(submissionId)}/output?run=${phase}&name=${encodeURIComponent(name)}`;
}

/**
 * The run's log with a streamed line placed where it starts (`at`, in bytes: see
 * `SubmissionEventDto`), or null when it leaves a gap (lines missed: the log is to be read again).
 * A line the log holds whole already is skipped; a last line that was still being written when the
 * log was read is replaced by the whole line.
 */
export function placeLine(r: RunView & { log: string }, line: string, at: number): RunView | null {
  const cut = r.log.lastIndexOf('\n') + 1;
  const whole = r.wholeBytes ?? utf8Length(r.log.slice(0, cut));
  if (at < whole) return r.wholeBytes === undefined ? { ...r, wholeBytes: whole } : r;
  if (at > whole) return null;
  return { ...r, log: `${r.log.slice(0, cut)}${line}\n`, wholeBytes: whole + utf8Length(line) + 1 };
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
