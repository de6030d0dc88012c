import type { Metadata } from 'next';
import Link from 'next/link';
import type { LeaderboardDto, Split } from '@holdout/contracts';
import { api } from '@/lib/api';
import { getCompetition } from '@/lib/competition';
import { formatDate } from '@/lib/format';
import { ErrorNote } from '../../../../_components/ErrorNote';
import { Whisker } from '../_components/Whisker';

export const metadata: Metadata = { title: 'Leaderboard' };

export default async function LeaderboardPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<{ split?: string }>;
}) {
  const { slug } = await params;
  const c = await getCompetition(slug);
  const split: Split = (await searchParams).split === 'private' && c.revealed ? 'private' : 'public';
  let board: LeaderboardDto | null = null;
  let error: unknown = null;
  try {
    board = await api<LeaderboardDto>(`/competitions/${encodeURIComponent(slug)}/leaderboard?split=${split}`);
  } catch (e) {
    error = e;
  }
  const base = `/competitions/${slug}/leaderboard`;
  const viewerTeam = c.viewer?.teamId ?? null;
  const entries = board?.entries ?? [];
  const values = entries.flatMap((e) => (e.interval ? [e.score, ...e.interval] : [e.score]));
  const min = values.length ? Math.min(...values) : 0;
  const max = values.length ? Math.max(...values) : 1;
  const hasIntervals = entries.some((e) => e.interval);

  return (
    <>
      <div className="row" style={{ marginBottom: '1rem' }}>
        {c.revealed ? (
          <nav aria-label="Leaderboard split" className="row">
            <Link href={base} className={`btn btn--small${split === 'public' ? ' btn--primary' : ''}`} aria-current={split === 'public' ? 'page' : undefined}>
              Public
            </Link>
            <Link
              href={`${base}?split=private`}
              className={`btn btn--small${split === 'private' ? ' btn--primary' : ''}`}
              aria-current={split === 'private' ? 'page' : undefined}
            >
              Private
            </Link>
          </nav>
        ) : (
          <p className="muted" style={{ margin: 0 }}>
            Public leaderboard: scored on the public part of the test set. The private leaderboard appears when the
            competition closes ({formatDate(c.closesAt)}).
          </p>
        )}
      </div>
      {error ? (
        <ErrorNote error={error} what="the leaderboard" />
      ) : entries.length === 0 ? (
        <p className="muted">No scored submissions yet.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="leaderboard" data-split={split}>
            <caption className="visually-hidden">
              {split === 'private' ? 'Private' : 'Public'} leaderboard
              {hasIntervals ? ', with 95% bootstrap intervals' : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col" className="num">
                  #
                </th>
                <th scope="col">Team</th>
                <th scope="col" className="num">
                  Score
                </th>
                {hasIntervals && (
                  <th scope="col" className="hide-sm">
                    95% interval
                  </th>
                )}
                <th scope="col" className="num hide-sm">
                  Entries
                </th>
                <th scope="col" className="hide-sm">
                  Last
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => {
                const mine = e.teamId === viewerTeam;
                return (
                  <tr key={e.teamId} className={mine ? 'is-viewer' : undefined} aria-current={mine ? 'true' : undefined}>
                    <td className="num">
                      {e.rank}
                      {e.tied && (
                        <span className="badge" title="Same score as the team above; the earlier submission ranks first" style={{ marginLeft: '0.3rem' }}>
                          tie
                        </span>
                      )}
                    </td>
                    <td>
                      {e.teamName}
                      {mine && <span className="visually-hidden"> (your team)</span>}
                      {mine && (
                        <span className="badge badge--info" aria-hidden="true" style={{ marginLeft: '0.4rem' }}>
                          you
                        </span>
                      )}
                    </td>
                    <td className="num mono">{e.display}</td>
                    {hasIntervals && (
                      <td className="hide-sm">
                        <span className="row" style={{ gap: '0.4rem', flexWrap: 'nowrap' }}>
                          <Whisker score={e.score} interval={e.interval} min={min} max={max} />
                          {e.interval && (
                            <span className="muted small mono">
                              {e.interval[0].toFixed(board!.precision)}–{e.interval[1].toFixed(board!.precision)}
                            </span>
                          )}
                        </span>
                      </td>
                    )}
                    <td className="num hide-sm">{e.entries}</td>
                    <td className="small hide-sm">{formatDate(e.submittedAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
