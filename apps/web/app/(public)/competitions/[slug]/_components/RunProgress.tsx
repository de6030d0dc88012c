import type { SubmissionKind, SubmissionProgressDto } from '@holdout/contracts';
import { formatDuration, formatWait, runTitle, sentence } from '@/lib/format';

/**
 * Where an unfinished kernel or model stands, from its last progress report (`sinceReport`: the
 * seconds since it came, so elapsed time ticks on between reports). A kernel: one line. A model
 * also shows the test image it is predicting and a bar over all the test images.
 */
export function RunProgress({ kind, p, sinceReport }: { kind: SubmissionKind; p: SubmissionProgressDto; sinceReport: number }) {
  const m = kind === 'model' && p.phase === 'running' ? p.model : null;
  if (!m) {
    return (
      <dd className="muted small" data-testid="live-progress">
        {describeProgress(kind, p, sinceReport)}
      </dd>
    );
  }
  const share = m.windowsTotal ? Math.min(1, m.windowsDone / m.windowsTotal) : 0;
  const overall = Math.round(((m.image - 1 + share) / m.images) * 1000) / 10;
  return (
    <dd className="muted small run-progress" data-testid="live-progress">
      <span data-testid="model-progress">
        Predicting image {m.image} of {m.images}
        {m.windowsTotal != null && (
          <>
            {' '}
            · {m.windowsDone}/{m.windowsTotal} windows
          </>
        )}
      </span>
      <progress max={100} value={overall} aria-label="Test images predicted" data-testid="model-progress-bar" />
      {p.elapsedSeconds != null && <span>{sentence(elapsed(p, sinceReport))}</span>}
    </dd>
  );
}

/** `1 min 5 s of 2 h`: the run's time so far against its limit. */
function elapsed(p: SubmissionProgressDto, sinceReport: number): string {
  return `running for ${formatDuration((p.elapsedSeconds ?? 0) + sinceReport)} of ${formatDuration(p.limitSeconds)}`;
}

/** `Queued · 2nd of 5, about 4 min` · `Public run · running for 3 min 12 s of 9 h` · `Scoring the output`. */
export function describeProgress(kind: SubmissionKind, p: SubmissionProgressDto, sinceReport: number): string {
  if (p.phase === 'queued') {
    const place = p.position != null && p.waiting != null ? `Queued · ${ordinal(p.position)} of ${p.waiting}` : 'Queued · waiting for a worker';
    return p.etaSeconds != null ? `${place}, ${formatWait(p.etaSeconds)}` : place;
  }
  if (p.phase === 'scoring') return kind === 'model' ? 'Scoring the predictions' : 'Scoring the output';
  const run = p.run ? `${runTitle(p.run)} · ` : '';
  if (p.elapsedSeconds == null) return sentence(`${run}starting`);
  return sentence(`${run}${elapsed(p, sinceReport)}`);
}

/** 1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st. */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}
