'use client';
import { useRouter } from 'next/navigation';
import { useEffect, useId, useRef, useState } from 'react';
import type { KernelRunDto, SubmissionDto, SubmissionProgressDto } from '@holdout/contracts';
import { send } from '@/lib/client';
import { failureTitle, formatBytes, formatDuration, formatScore, runOutcome, runTitle } from '@/lib/format';
import { TERMINAL, useSubmissionEvents } from '@/lib/live';
import { modelFailure } from '@/lib/models';
import { latestOfEachPhase, placeLine, runFileUrl, type RunView } from '@/lib/runs';
import { StatusBadge } from '../../../../_components/StateBadge';
import { CancelRun } from './CancelRun';
import { RunProgress } from './RunProgress';

/**
 * Status, scores and log of one submission, updated live over its event stream. A kernel shows
 * each of its runs (public, then hidden) with what the viewer may read of it; a model, the test
 * image it is predicting. Both can be cancelled while they wait or run.
 */
export function LiveSubmission({
  initial,
  initialLog,
  initialRuns,
  revealed,
  hiddenRun,
  canCancel,
}: {
  initial: SubmissionDto;
  initialLog: string;
  initialRuns: RunView[];
  revealed: boolean;
  /** Whether a kernel's public run is followed by one over hidden test data (the competition keeps its test images hidden). */
  hiddenRun: boolean;
  /** Whether the viewer may cancel a queued or running kernel or model (its team, an instructor). */
  canCancel: boolean;
}) {
  const router = useRouter();
  const [s, setS] = useState(initial);
  const [log, setLog] = useState(initialLog);
  const [runs, setRuns] = useState(initialRuns);
  // The last progress report and when it came: elapsed time ticks on between reports.
  const [progress, setProgress] = useState<{ p: SubmissionProgressDto; at: number } | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const logRef = useRef<HTMLPreElement>(null);
  // The runs as last rendered, for the event handler (its closure is the first render's).
  const runsRef = useRef(runs);
  useEffect(() => {
    runsRef.current = runs;
  }, [runs]);
  const reload = useRunsReload(initial.id, setRuns);
  const live = !TERMINAL.includes(s.status);
  const kernel = s.kind === 'kernel';
  const platformRun = s.kind !== 'file'; // run by the platform: progress, cancel

  useSubmissionEvents(
    initial.id,
    !TERMINAL.includes(initial.status),
    (ev) => {
      if (ev.type === 'log') {
        if (!kernel) {
          setLog((l) => (l ? `${l}\n${ev.line}` : ev.line));
          return;
        }
        // The stream sends each run's log so far first (again after a reconnection), then new lines:
        // a line is placed at its offset, so what the page shows already is not shown twice.
        const target = [...latestOfEachPhase(runsRef.current)].find((r) => r.phase === ev.run && r.attempt === ev.attempt);
        // A run this page has not listed yet: its log so far (this line included) comes with the list.
        if (!target || target.log === null) return void reload();
        const placed = placeLine(target as RunView & { log: string }, ev.line, ev.at);
        // A gap (lines the page missed): the log is read again.
        if (!placed) return void reload();
        if (placed === target) return;
        // Placed in the runs the next line is placed in too, before React renders them.
        runsRef.current = runsRef.current.map((r) => (r === target ? placed : r));
        setRuns((list) => list.map((r) => (r.phase === placed.phase && r.attempt === placed.attempt && r.log !== null ? { ...r, log: placed.log, wholeBytes: placed.wholeBytes } : r)));
      } else if (ev.type === 'progress') {
        setProgress({ p: ev.progress, at: Date.now() });
        const going = ev.progress.phase === 'running' ? ev.progress.run : null;
        if (kernel && going && ![...latestOfEachPhase(runsRef.current)].some((r) => r.phase === going && r.outcome === null)) void reload();
      } else {
        setS(ev.submission);
        if (kernel) void reload();
        // Per-image scores and the final logs come with the server render.
        if (TERMINAL.includes(ev.submission.status)) router.refresh();
      }
    },
    { log: kernel ? 'all' : 'new' },
  );
  useEffect(() => setS(initial), [initial]);
  useEffect(() => setRuns(initialRuns), [initialRuns]);
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

  // A kernel that failed in its public run, a kernel or model cancelled or failed on our side, or a run without submitting does not count against the quota.
  const notCharged = platformRun && !s.charged && (s.runOnly || TERMINAL.includes(s.status));
  const failure = s.error && s.kind === 'model' ? modelFailure(s) : null;
  return (
    <>
      <dl className="stats">
        <div>
          <dt>Status</dt>
          <dd aria-live="polite" data-testid="live-status">
            <StatusBadge status={s.status} />
            {s.runOnly && (
              <span className="badge badge--info" data-testid="run-only" style={{ marginLeft: '0.3rem' }}>
                run only
              </span>
            )}
            {notCharged && (
              <span className="badge" data-testid="not-charged" style={{ marginLeft: '0.3rem' }}>
                not charged
              </span>
            )}
          </dd>
          {live && progress && progress.p.phase === s.status && (
            <RunProgress kind={s.kind} p={progress.p} sinceReport={Math.max(0, (now - progress.at) / 1000)} />
          )}
        </div>
        <div>
          <dt>Public score</dt>
          <dd data-testid="detail-public-score">{s.runOnly ? <span className="muted small">not scored</span> : formatScore(s.publicScore)}</dd>
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
      {live && platformRun && canCancel && <CancelRun id={s.id} kind={s.kind} onCancelled={setS} />}
      {s.error && (
        <div className="alert alert--error" role="alert" data-testid="submission-error">
          <strong>{failure?.title ?? failureTitle(s.error.class, s)}</strong>: {s.error.message}
          {s.error.row != null && <> (row {s.error.row})</>}
          {failure?.explanation && <p style={{ margin: '0.4rem 0 0' }}>{failure.explanation}</p>}
        </div>
      )}
      {s.kind === 'model' && (
        <p className="muted small" data-testid="model-run-note">
          The platform runs your model over every test image, public and hidden alike, through this competition&apos;s
          pipeline (see the Overview); only the scores come back.
        </p>
      )}
      {kernel ? (
        <section aria-labelledby="runs-h" className="stack" data-testid="kernel-runs">
          <div>
            <h2 id="runs-h" style={{ margin: 0 }}>
              Runs
            </h2>
            <p className="muted small">
              A kernel runs first over the public data only: its log and the files it writes in <code>/kaggle/working</code> are
              your team&apos;s to read.{' '}
              {s.runOnly
                ? 'Run without submitting: that run is all, and it is never scored.'
                : hiddenRun
                  ? 'When it writes a valid submission.csv, it runs again over the hidden test data; that run is scored, and of it you see only the result.'
                  : 'Its submission.csv is scored.'}
            </p>
          </div>
          {runs.length === 0 ? (
            <p className="muted" data-testid="no-runs">
              No run has started yet.
            </p>
          ) : (
            runs.map((r) => <RunCard key={`${r.attempt}-${r.phase}`} submissionId={s.id} r={r} />)
          )}
        </section>
      ) : (
        log && (
          <section aria-labelledby="log-h" className="card">
            <div className="row">
              <h2 id="log-h" style={{ margin: 0 }}>
                Log
              </h2>
              {live && <span className="muted small">streaming…</span>}
            </div>
            <pre ref={logRef} className="log" tabIndex={0} aria-label="Submission log" data-testid="log">
              {log}
            </pre>
          </section>
        )
      )}
    </>
  );
}

/** One run: what it ran over, how it ended, its log and files where the viewer may read them. */
function RunCard({ submissionId, r }: { submissionId: string; r: RunView }) {
  const id = useId();
  const logRef = useRef<HTMLPreElement>(null);
  const title = `${runTitle(r.phase)}${r.attempt > 1 ? ` · attempt ${r.attempt}` : ''}`;
  useEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [r.log]);
  return (
    <section className="card" aria-labelledby={`${id}-h`} data-testid="kernel-run" data-phase={r.phase} data-outcome={r.outcome ?? 'running'}>
      <div className="row">
        <h3 id={`${id}-h`} style={{ margin: 0 }}>
          {title}
        </h3>
        <span className={`badge ${outcomeClass(r.outcome)}`} data-testid="run-outcome">
          {runOutcome(r.outcome)}
        </span>
        {r.durationMs != null && <span className="muted small">{formatDuration(r.durationMs / 1000)}</span>}
        {r.outcome === null && r.log !== null && <span className="muted small">streaming…</span>}
      </div>
      <p className="muted small">{r.phase === 'public' ? 'Over the public data only.' : 'Over the hidden test data.'}</p>
      {!r.logVisible ? (
        <p data-testid="run-result-only">Only the result of this run is shown to participants, as on Kaggle: its log and files stay hidden.</p>
      ) : r.log === null ? (
        <p className="muted small">An earlier attempt, run again by the platform: the latest attempt&apos;s log is below.</p>
      ) : (
        <>
          <pre ref={logRef} className="log" tabIndex={0} aria-label={`Log of the ${title.toLowerCase()}`} data-testid="run-log">
            {r.log || 'No log output yet.'}
          </pre>
          {r.files.length > 0 && (
            <div>
              <h4 style={{ margin: '0.5rem 0 0.25rem' }}>
                Files in <code>/kaggle/working</code>
              </h4>
              <ul data-testid="run-files">
                {r.files.map((f) => (
                  <li key={f.name}>
                    <a href={runFileUrl(submissionId, r.phase, f.name)} download>
                      {f.name}
                    </a>{' '}
                    <span className="muted small">({formatBytes(f.size)})</span>
                  </li>
                ))}
              </ul>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function outcomeClass(outcome: string | null): string {
  if (outcome === null) return 'badge--warn';
  if (outcome === 'succeeded') return 'badge--ok';
  if (outcome === 'cancelled' || outcome === 'lost') return '';
  return 'badge--bad';
}

/**
 * Reloads a kernel's runs and their logs, one reload at a time (a request during one runs once
 * after it). A line placed while a reload is in flight may be replaced by a log read before it was
 * printed: the next line then finds the gap and the log is read again (and the server render after
 * the final status shows every log whole).
 */
function useRunsReload(submissionId: string, setRuns: (runs: RunView[]) => void): () => Promise<void> {
  const busy = useRef(false);
  const again = useRef(false);
  return async () => {
    if (busy.current) {
      again.current = true;
      return;
    }
    busy.current = true;
    try {
      do {
        again.current = false;
        setRuns(await fetchRuns(submissionId));
      } while (again.current);
    } catch {
      // The next event (status or progress) tries again.
    } finally {
      busy.current = false;
    }
  };
}

async function fetchRuns(submissionId: string): Promise<RunView[]> {
  const path = `/submissions/${encodeURIComponent(submissionId)}`;
  const runs = await send<KernelRunDto[]>('GET', `${path}/runs`);
  const latest = latestOfEachPhase(runs);
  return Promise.all(
    runs.map(async (r) => {
      if (!r.logVisible || !latest.has(r)) return { ...r, log: null };
      const res = await fetch(`/api${path}/log?run=${r.phase}`, { credentials: 'same-origin', headers: { accept: 'text/plain' } });
      return { ...r, log: res.ok ? await res.text() : '' };
    }),
  );
}
