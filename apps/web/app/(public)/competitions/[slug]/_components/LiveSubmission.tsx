'use client';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import type { SubmissionDto, SubmissionProgressDto } from '@holdout/contracts';
import { failureTitle, formatDuration, formatScore, formatWait } from '@/lib/format';
import { TERMINAL, useSubmissionEvents } from '@/lib/live';
import { StatusBadge } from '../../../../_components/StateBadge';

/** Status, scores and log of one submission, updated live over its event stream. */
export function LiveSubmission({ initial, initialLog, revealed }: { initial: SubmissionDto; initialLog: string; revealed: boolean }) {
  const router = useRouter();
  const [s, setS] = useState(initial);
  const [log, setLog] = useState(initialLog);
  // The last progress report and when it came: elapsed time ticks on between reports.
  const [progress, setProgress] = useState<{ p: SubmissionProgressDto; at: number } | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const logRef = useRef<HTMLPreElement>(null);
  const live = !TERMINAL.includes(s.status);

  useSubmissionEvents(initial.id, !TERMINAL.includes(initial.status), (ev) => {
    if (ev.type === 'log') setLog((l) => (l ? `${l}\n${ev.line}` : ev.line));
    else if (ev.type === 'progress') setProgress({ p: ev.progress, at: Date.now() });
    else {
      setS(ev.submission);
      // Per-image scores and the final log come with the server render.
      if (TERMINAL.includes(ev.submission.status)) router.refresh();
    }
  });
  useEffect(() => setS(initial), [initial]);
  const ticking = live && progress?.p.elapsedSeconds != null;
  useEffect(() => {
    if (!ticking) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [ticking]);
  useEffect(() => setLog(initialLog), [initialLog]);
  useEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [log]);

  return (
    <>
      <dl className="stats">
        <div>
          <dt>Status</dt>
          <dd aria-live="polite" data-testid="live-status">
            <StatusBadge status={s.status} />
          </dd>
          {live && progress && progress.p.phase === s.status && (
            <dd className="muted small" data-testid="live-progress">
              {describeProgress(progress.p, Math.max(0, (now - progress.at) / 1000))}
            </dd>
          )}
        </div>
        <div>
          <dt>Public score</dt>
          <dd data-testid="detail-public-score">{formatScore(s.publicScore)}</dd>
        </div>
        <div>
          <dt>Private score</dt>
          <dd>{revealed ? formatScore(s.privateScore) : <span className="muted small">after the close</span>}</dd>
        </div>
        <div>
          <dt>Local CV</dt>
          <dd>{formatScore(s.cvScore)}</dd>
        </div>
      </dl>
      {s.error && (
        <div className="alert alert--error" role="alert">
          <strong>{failureTitle(s.error.class)}</strong>: {s.error.message}
          {s.error.row != null && <> (row {s.error.row})</>}
        </div>
      )}
      {(s.kind !== 'file' || log) && (
      <section aria-labelledby="log-h" className="card">
        <div className="row">
          <h2 id="log-h" style={{ margin: 0 }}>
            Log
          </h2>
          {live && <span className="muted small">streaming…</span>}
        </div>
        <pre ref={logRef} className="log" tabIndex={0} aria-label="Submission log" data-testid="log">
          {log || 'No log output yet.'}
        </pre>
      </section>
      )}
    </>
  );
}

/** "position 2 of 5 waiting, about 4 min" · "running for 3 min 12 s of 9 h" · "scoring the output". */
function describeProgress(p: SubmissionProgressDto, sinceReport: number): string {
  const limit = `of ${formatDuration(p.limitSeconds)}`;
  if (p.phase === 'queued') {
    const place = p.position != null && p.waiting != null ? `position ${p.position} of ${p.waiting} waiting` : 'waiting for a worker';
    return p.etaSeconds != null ? `${place}, ${formatWait(p.etaSeconds)}` : place;
  }
  if (p.elapsedSeconds == null) return p.phase === 'running' ? 'starting' : 'scoring the output';
  if (p.phase === 'running') return `running for ${formatDuration(p.elapsedSeconds + sinceReport)} ${limit}`;
  return 'scoring the output';
}
