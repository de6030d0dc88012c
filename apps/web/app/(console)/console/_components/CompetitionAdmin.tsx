'use client';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { CompetitionDto, RescoreDto, RescoreStatusDto } from '@holdout/contracts';
import { send } from '@/lib/client';
import { formatDate, toLocalInput } from '@/lib/format';
import { useAction } from './useAction';
import { Message } from './Message';

const iso = (v: FormDataEntryValue | null) => (v ? new Date(`${String(v)}Z`).toISOString() : null);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What a finished rescore changed, in a sentence. */
function rescoreSummary(s: RescoreStatusDto): string {
  const parts = [`${plural(s.changed, 'submission')} changed score`];
  if (s.rejected > 0) parts.push(`${plural(s.rejected, 'submission')} ${s.rejected === 1 ? 'is' : 'are'} now rejected`);
  if (s.teamsMoved !== null) parts.push(`${plural(s.teamsMoved, 'team')} moved on the public leaderboard`);
  return `Rescored ${plural(s.submissions, 'submission')} against solution version ${s.solutionVersion}: ${parts.join('; ')}.`;
}

export function CompetitionAdmin({ c }: { c: CompetitionDto }) {
  const router = useRouter();
  const { busy, message, run } = useAction();
  const [progress, setProgress] = useState<RescoreStatusDto | null>(null);
  const path = `/competitions/${encodeURIComponent(c.slug)}`;
  // As the API has it: the close of a closed competition no longer moves (PATCH refuses it), and
  // the opening and the merge deadline it keeps no longer govern anything; nothing closes before it opens.
  const closed = c.state === 'closed';
  const timelineDone = closed
    ? `The competition closed on ${formatDate(c.closesAt)}${c.revealed ? ' and its private leaderboard is revealed' : ''}: its close is final, and the opening and the team merge deadline no longer apply.`
    : null;
  const closeUnavailable = closed
    ? `Closed ${c.revealed ? 'and revealed' : '(the reveal follows once every submission made before the close is scored)'}.`
    : c.state === 'upcoming'
      ? `It has not opened yet (it opens ${formatDate(c.opensAt)}): move its timeline instead.`
      : null;

  function saveTimeline(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    // Only what was edited: a merge deadline left alone follows a moved close (the API says how).
    const edited = (name: string, current: string | null) => (String(f.get(name) ?? '') === toLocalInput(current) ? undefined : iso(f.get(name)));
    const change = { opensAt: edited('opensAt', c.opensAt), teamMergeDeadline: edited('teamMergeDeadline', c.teamMergeDeadline), closesAt: edited('closesAt', c.closesAt) };
    void run(async () => {
      if (Object.values(change).every((v) => v === undefined)) return 'Nothing changed.';
      const saved = await send<CompetitionDto>('PATCH', path, change);
      router.refresh();
      return ['Timeline saved.', ...(saved.notes ?? [])].join(' ');
    });
  }
  function closeNow() {
    if (!window.confirm(`Close ${c.title} now and reveal the private leaderboard?`)) return;
    void run(async () => {
      await send('POST', `${path}/close`);
      router.refresh();
      return 'Closed. The private leaderboard is revealed once scoring of the finals completes.';
    });
  }
  function rescore(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const reason = String(new FormData(e.currentTarget).get('reason') ?? '').trim();
    void run(async () => {
      const r = await send<RescoreDto>('POST', `${path}/rescore`, reason ? { reason } : {});
      // Follow it (the worker scores in the background) until every submission is scored again.
      let status: RescoreStatusDto;
      for (;;) {
        status = await send<RescoreStatusDto>('GET', `${path}/rescores/${r.rescoreId}`);
        setProgress(status);
        if (status.finished) break;
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
      setProgress(null);
      router.refresh();
      return rescoreSummary(status);
    });
  }

  return (
    <>
      <Message message={message} />
      <div className="grid" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(300px, 1fr))' }}>
        <section className="card" aria-labelledby="timeline-h">
          <h2 id="timeline-h">Timeline (UTC)</h2>
          <form onSubmit={saveTimeline}>
            <div className="field">
              <label htmlFor="t-opens">Opens at</label>
              <input id="t-opens" name="opensAt" type="datetime-local" defaultValue={toLocalInput(c.opensAt)} required disabled={closed} aria-describedby={closed ? 't-done' : undefined} />
            </div>
            <div className="field">
              <label htmlFor="t-merge">Team merge deadline</label>
              <input id="t-merge" name="teamMergeDeadline" type="datetime-local" defaultValue={toLocalInput(c.teamMergeDeadline)} disabled={closed} aria-describedby={closed ? 't-merge-hint t-done' : 't-merge-hint'} />
              <span id="t-merge-hint" className="muted small">
                Teams merge on the Team tab until this date; left empty, until the close.
              </span>
            </div>
            <div className="field">
              <label htmlFor="t-closes">Closes at</label>
              <input id="t-closes" name="closesAt" type="datetime-local" defaultValue={toLocalInput(c.closesAt)} required disabled={closed} aria-describedby={closed ? 't-done' : undefined} />
            </div>
            <button className="btn btn--primary" type="submit" disabled={busy || closed}>
              Save timeline
            </button>
            {timelineDone && (
              <p id="t-done" className="muted small" data-testid="timeline-done">
                {timelineDone}
              </p>
            )}
          </form>
        </section>
        <section className="card" aria-labelledby="actions-h">
          <h2 id="actions-h">Actions</h2>
          <p className="small muted">Closing ends submissions and reveals the private leaderboard and the shake-up.</p>
          <button className="btn btn--danger" type="button" onClick={closeNow} disabled={busy || closeUnavailable !== null} aria-describedby={closeUnavailable ? 'close-unavailable' : undefined}>
            Close now
          </button>
          {closeUnavailable && (
            <p id="close-unavailable" className="muted small" data-testid="close-unavailable">
              {closeUnavailable}
            </p>
          )}
          <form onSubmit={rescore} style={{ marginTop: '1.25rem' }}>
            <div className="field">
              <label htmlFor="rescore-reason">Rescore every submission — reason (optional)</label>
              <input id="rescore-reason" name="reason" type="text" maxLength={200} />
            </div>
            <button className="btn" type="submit" disabled={busy}>
              Rescore
            </button>
            {progress && (
              <p className="small" role="status" data-testid="rescore-progress">
                Rescoring against solution version {progress.solutionVersion}: {progress.done} of {plural(progress.submissions, 'submission')} scored…{' '}
                <progress max={progress.submissions} value={progress.done} />
              </p>
            )}
          </form>
        </section>
      </div>
    </>
  );
}
