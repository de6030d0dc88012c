'use client';
import { useRouter } from 'next/navigation';
import type { FormEvent } from 'react';
import type { CompetitionDto, RescoreDto } from '@holdout/contracts';
import { send } from '@/lib/client';
import { toLocalInput } from '@/lib/format';
import { useAction } from './useAction';
import { Message } from './Message';

const iso = (v: FormDataEntryValue | null) => (v ? new Date(`${String(v)}Z`).toISOString() : null);

export function CompetitionAdmin({ c }: { c: CompetitionDto }) {
  const router = useRouter();
  const { busy, message, run } = useAction();
  const path = `/competitions/${encodeURIComponent(c.slug)}`;

  function saveTimeline(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    void run(async () => {
      await send('PATCH', path, {
        opensAt: iso(f.get('opensAt')),
        teamMergeDeadline: iso(f.get('teamMergeDeadline')),
        closesAt: iso(f.get('closesAt')),
      });
      router.refresh();
      return 'Timeline saved.';
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
      router.refresh();
      return `Rescoring ${r.submissions} submissions against solution version ${r.solutionVersion}.`;
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
              <input id="t-opens" name="opensAt" type="datetime-local" defaultValue={toLocalInput(c.opensAt)} required />
            </div>
            <div className="field">
              <label htmlFor="t-merge">Team merge deadline</label>
              <input id="t-merge" name="teamMergeDeadline" type="datetime-local" defaultValue={toLocalInput(c.teamMergeDeadline)} aria-describedby="t-merge-hint" />
              <span id="t-merge-hint" className="muted small">
                Kept for when teams arrive: students compete alone for now, so nothing happens at this date.
              </span>
            </div>
            <div className="field">
              <label htmlFor="t-closes">Closes at</label>
              <input id="t-closes" name="closesAt" type="datetime-local" defaultValue={toLocalInput(c.closesAt)} required />
            </div>
            <button className="btn btn--primary" type="submit" disabled={busy || c.revealed}>
              Save timeline
            </button>
            {c.revealed && <p className="muted small">The competition is closed and revealed: its timeline no longer moves.</p>}
          </form>
        </section>
        <section className="card" aria-labelledby="actions-h">
          <h2 id="actions-h">Actions</h2>
          <p className="small muted">Closing ends submissions and reveals the private leaderboard and the shake-up.</p>
          <button className="btn btn--danger" type="button" onClick={closeNow} disabled={busy || c.state === 'closed'}>
            Close now
          </button>
          {c.state === 'closed' && <p className="muted small">Closed {c.revealed ? 'and revealed' : '(the reveal follows)'}.</p>}
          <form onSubmit={rescore} style={{ marginTop: '1.25rem' }}>
            <div className="field">
              <label htmlFor="rescore-reason">Rescore every submission — reason (optional)</label>
              <input id="rescore-reason" name="reason" type="text" maxLength={200} />
            </div>
            <button className="btn" type="submit" disabled={busy}>
              Rescore
            </button>
          </form>
        </section>
      </div>
    </>
  );
}
