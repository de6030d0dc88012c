'use client';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import type { SubmissionDto } from '@holdout/contracts';
import { formatScore } from '@/lib/format';
import { TERMINAL, useSubmissionEvents } from '@/lib/live';
import { StatusBadge } from '../../../../_components/StateBadge';

/** Status, scores and log of one submission, updated live over its event stream. */
export function LiveSubmission({ initial, initialLog, revealed }: { initial: SubmissionDto; initialLog: string; revealed: boolean }) {
  const router = useRouter();
  const [s, setS] = useState(initial);
  const [log, setLog] = useState(initialLog);
  const logRef = useRef<HTMLPreElement>(null);
  const live = !TERMINAL.includes(s.status);

  useSubmissionEvents(initial.id, !TERMINAL.includes(initial.status), (ev) => {
    if (ev.type === 'log') setLog((l) => (l ? `${l}\n${ev.line}` : ev.line));
    else {
      setS(ev.submission);
      // Per-image scores and the final log come with the server render.
      if (TERMINAL.includes(ev.submission.status)) router.refresh();
    }
  });
  useEffect(() => setS(initial), [initial]);
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
          <strong>{s.error.class}</strong>: {s.error.message}
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
