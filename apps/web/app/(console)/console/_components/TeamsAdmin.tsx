'use client';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { TeamSummaryDto } from '@holdout/contracts';
import { send } from '@/lib/client';
import { formatDate } from '@/lib/format';
import { useAction } from './useAction';
import { Message } from './Message';

/** Every team of a competition with its members' contacts; instructors disqualify and reinstate (audited, with the reason). */
export function TeamsAdmin({ slug, teams, canEdit }: { slug: string; teams: TeamSummaryDto[]; canEdit: boolean }) {
  const router = useRouter();
  const { busy, message, run } = useAction();
  // The team whose reason form is open (one at a time).
  const [asking, setAsking] = useState<string | null>(null);
  const path = (t: TeamSummaryDto) => `/competitions/${encodeURIComponent(slug)}/teams/${t.id}/disqualification`;

  function disqualify(e: FormEvent<HTMLFormElement>, t: TeamSummaryDto) {
    e.preventDefault();
    const reason = String(new FormData(e.currentTarget).get('reason') ?? '').trim();
    void run(async () => {
      await send<TeamSummaryDto>('POST', path(t), { reason });
      setAsking(null);
      router.refresh();
      return `${t.name} is disqualified: it is off the leaderboards and the shake-up.`;
    });
  }
  function reinstate(t: TeamSummaryDto) {
    void run(async () => {
      await send<TeamSummaryDto>('DELETE', path(t));
      router.refresh();
      return `${t.name} is reinstated: it is ranked again.`;
    });
  }

  if (teams.length === 0) return <p className="muted">No teams yet: a student&apos;s team is made when they first submit or open the Team tab.</p>;
  return (
    <>
      <Message message={message} />
      <div className="table-wrap">
        <table data-testid="teams">
          <thead>
            <tr>
              <th scope="col">Team</th>
              <th scope="col">Members</th>
              <th scope="col" className="num">
                Submissions
              </th>
              <th scope="col">Status</th>
              {canEdit && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {teams.map((t) => (
              <tr key={t.id} data-testid="team-row" data-team={t.name}>
                <td>{t.name}</td>
                <td>
                  <ul className="small" style={{ margin: 0, paddingLeft: 0, listStyle: 'none' }}>
                    {t.members.map((m) => (
                      <li key={m.email}>
                        {m.displayName} <span className="muted">&lt;{m.email}&gt;</span>
                      </li>
                    ))}
                  </ul>
                </td>
                <td className="num">{t.submissions}</td>
                <td data-testid="team-status">
                  {t.disqualified ? (
                    <>
                      <span className="badge badge--bad">disqualified</span>
                      <div className="small">
                        {t.disqualified.reason} <span className="muted">({formatDate(t.disqualified.at)})</span>
                      </div>
                    </>
                  ) : (
                    <span className="badge badge--ok">ranked</span>
                  )}
                </td>
                {canEdit && (
                  <td>
                    {t.disqualified ? (
                      <button className="btn btn--small" type="button" disabled={busy} onClick={() => reinstate(t)}>
                        Reinstate<span className="visually-hidden"> {t.name}</span>
                      </button>
                    ) : asking === t.id ? (
                      <form onSubmit={(e) => disqualify(e, t)} aria-label={`Disqualify ${t.name}`}>
                        <div className="field" style={{ marginBottom: '0.5rem' }}>
                          <label htmlFor={`dq-${t.id}`}>Reason (the team reads it)</label>
                          <input id={`dq-${t.id}`} name="reason" type="text" required minLength={3} maxLength={1000} autoFocus />
                        </div>
                        <div className="row">
                          <button className="btn btn--small btn--danger" type="submit" disabled={busy}>
                            Disqualify
                          </button>
                          <button className="btn btn--small" type="button" onClick={() => setAsking(null)}>
                            Cancel
                          </button>
                        </div>
                      </form>
                    ) : (
                      <button className="btn btn--small" type="button" disabled={busy} onClick={() => setAsking(t.id)}>
                        Disqualify…<span className="visually-hidden"> {t.name}</span>
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
