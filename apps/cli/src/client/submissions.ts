import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { KernelRunPhase, SubmissionDto, SubmissionEventDto, SubmissionProgressDto } from '@holdout/contracts';
import { Api } from './api.js';
import { CliError, EXIT } from './errors.js';

/** Statuses a submission does not leave on its own. */
export const TERMINAL = new Set(['scored', 'failed', 'cancelled', 'complete']);

/** A local file as a multipart part, refusing what is not a readable regular file. */
export async function filePart(path: string): Promise<{ blob: Blob; name: string; size: number }> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new CliError(`${path}: no such file`, EXIT.usage);
  return { blob: new Blob([await readFile(path)]), name: basename(path), size: info.size };
}

/**
 * Follows a submission's event stream until it finishes; reports status changes (and a kernel's
 * queue position or running time, a model's image and windows) on stderr unless quiet. With
 * `onLog`, a kernel's log lines the user may read: what its runs printed before the stream
 * connected, then each new line, each once (across reconnections too). Returns the final submission.
 */
export async function waitForSubmission(api: Api, id: string, o: { quiet: boolean; onLog?: (line: string, run: KernelRunPhase) => void }): Promise<SubmissionDto> {
  // Per run ("attempt:phase"): where the next line not yet shown starts in its log.
  const shownTo = new Map<string, number>();
  let last = '';
  const say = (text: string) => {
    if (o.quiet || text === last) return;
    last = text;
    process.stderr.write(`${text}\n`);
  };
  const path = `/submissions/${encodeURIComponent(id)}/events${o.onLog ? '?log=all' : ''}`;
  for (;;) {
    for await (const e of api.events<SubmissionEventDto>(path)) {
      if (e.type === 'log') {
        const run = `${e.attempt}:${e.run}`;
        if (e.at < (shownTo.get(run) ?? 0)) continue;
        shownTo.set(run, e.at + 1);
        o.onLog?.(e.line, e.run);
      } else if (e.type === 'progress') say(progressLine(e.progress));
      else {
        say(e.submission.status);
        if (TERMINAL.has(e.submission.status)) return e.submission;
      }
    }
    // The stream ended early (a restart): the state is one GET away, else the stream is opened again.
    const now = await api.json<SubmissionDto>('GET', `/submissions/${encodeURIComponent(id)}`);
    if (TERMINAL.has(now.status)) return now;
  }
}

export function progressLine(p: SubmissionProgressDto): string {
  if (p.phase === 'queued') {
    const wait = p.etaSeconds == null ? '' : `, about ${Math.max(1, Math.round(p.etaSeconds / 60))} min`;
    return `queued: position ${p.position} of ${p.waiting}${wait}`;
  }
  if (p.phase === 'running' && p.model) {
    const { image, images, windowsDone, windowsTotal } = p.model;
    const windows = windowsTotal ? `, windows ${windowsDone}/${windowsTotal}` : '';
    const time = p.elapsedSeconds == null ? '' : ` (${duration(p.elapsedSeconds)} of ${duration(p.limitSeconds)})`;
    return `predicting: image ${image} of ${images}${windows}${time}`;
  }
  if (p.phase === 'running') {
    const run = p.run === 'public' ? 'public run' : p.run === 'hidden' ? 'hidden run' : 'running';
    return p.elapsedSeconds == null ? run : `${run}: running for ${duration(p.elapsedSeconds)} of ${duration(p.limitSeconds)}`;
  }
  return 'scoring';
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The one-line outcome of a finished submission, and its exit code (0 scored, 5 otherwise). */
export function outcome(s: SubmissionDto): { line: string; exitCode: number } {
  if (s.status === 'scored') return { line: `${s.id}: scored, public score ${s.publicScore?.toFixed(4) ?? '—'}`, exitCode: EXIT.ok };
  if (s.status === 'complete') return { line: `${s.id}: complete (run without submitting: its public run wrote a valid submission.csv; not scored)`, exitCode: EXIT.ok };
  const why = s.error ? `: ${s.error.class}: ${s.error.message}${s.error.row != null ? ` (row ${s.error.row})` : ''}` : '';
  return { line: `${s.id}: ${s.status}${why}${s.charged ? '' : ' [not charged]'}`, exitCode: EXIT.failed };
}
