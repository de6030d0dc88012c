// Formatting shared by server and client components. Dates are shown in UTC so that the server's
// and the browser's render agree.
import type { FailureClass, KernelRunPhase, SubmissionDto, SubmissionKind } from '@holdout/contracts';

const dateFmt = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${dateFmt.format(d)} UTC`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatScore(v: number | null | undefined, precision = 4): string {
  return v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(precision);
}

/** `train/a b.png` → `train/a%20b.png`: each path segment encoded, slashes kept. */
export function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

/** For <input type="datetime-local"> (UTC). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  return new Date(iso).toISOString().slice(0, 16);
}

/** A kind of submission in words, as a list of kinds names it (`Prediction file, Kernel, Model (ONNX)`). */
export const KIND_LABELS: Record<SubmissionKind, string> = { file: 'Prediction file', kernel: 'Kernel', model: 'Model (ONNX)' };

/** `prediction file, kernel, model (ONNX)`: the kinds a competition takes, in a sentence. */
export function kindsInWords(kinds: readonly SubmissionKind[]): string {
  return kinds.map((k) => KIND_LABELS[k].replace(/^\p{Lu}/u, (c) => c.toLowerCase())).join(', ');
}

/** `3 min 12 s`, `2 h 5 min`, `45 s`: a duration as a person says it. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ''}`;
}

/** A rough wait, as `about 4 min` (never more precise than a minute). */
export function formatWait(seconds: number): string {
  return seconds < 60 ? 'under a minute' : `about ${formatDuration(Math.round(seconds / 60) * 60)}`;
}

/**
 * A failure class in words (Kaggle's, for kernels), and whether it counted against the daily quota.
 * Given the submission, a kernel's failure names the run it happened in and says when it was not charged.
 */
export function failureTitle(c: FailureClass, s?: Pick<SubmissionDto, 'run' | 'charged'>): string {
  switch (c) {
    case 'validation':
      return 'Invalid submission file (not charged)';
    case 'timeout':
      return kernelFailure('Notebook timeout', s);
    case 'oom':
      return kernelFailure('Notebook exceeded its memory', s);
    case 'exception':
      return kernelFailure('Notebook threw an exception', s);
    case 'no-submission-file':
      return kernelFailure('Submission CSV not found', s);
    case 'scoring-error':
      return 'Submission scoring error (not charged)';
    case 'cancelled':
      return 'Cancelled (not charged)';
    case 'infrastructure':
      return 'Failed on our side (not charged)';
  }
}

function kernelFailure(title: string, s: Pick<SubmissionDto, 'run' | 'charged'> | undefined): string {
  if (!s) return title;
  const where = s.run ? ` in the ${s.run === 'public' ? 'public' : 'hidden'} run` : '';
  return `${title}${where}${s.charged ? '' : ' (not charged)'}`;
}

/** A kernel run as a heading: `Public run`, `Hidden run`. */
export function runTitle(phase: KernelRunPhase): string {
  return phase === 'public' ? 'Public run' : 'Hidden run';
}

/** How a kernel run ended (`KernelRunDto.outcome`), in words; null while it runs. */
export function runOutcome(outcome: string | null): string {
  switch (outcome) {
    case null:
      return 'running';
    case 'succeeded':
      return 'succeeded';
    case 'timeout':
      return 'timed out';
    case 'oom':
      return 'out of memory';
    case 'exception':
      return 'threw an exception';
    case 'no-submission-file':
      return 'no submission.csv';
    case 'cancelled':
      return 'cancelled';
    case 'lost':
      return 'lost (run again)';
    case 'error':
      return 'failed on our side';
    default:
      return outcome;
  }
}

/** An API message as a sentence on a page: the API words them for logs and terminals (lower case first). */
export function sentence(message: string): string {
  return message.replace(/^\p{Ll}/u, (c) => c.toUpperCase());
}

/** `just now`, `5 min ago`, `3 h ago`, `2 days ago`; past a week, the date. */
export function formatAgo(iso: string, now = Date.now()): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  const d = Math.round(s / 86_400);
  if (d < 7) return d === 1 ? 'yesterday' : `${d} days ago`;
  return formatDate(iso);
}
