import type { Metadata } from 'next';
import Link from 'next/link';
import { Suspense } from 'react';
import type { LeaderboardDto, Split } from '@holdout/contracts';
import { api } from '@/lib/api';
import { getCompetition } from '@/lib/competition';
import { formatDate } from '@/lib/format';
import { ErrorNote } from '../../../../_components/ErrorNote';
import { Whisker } from '../_components/Whisker';
import { LeaderboardLive } from '../_components/LeaderboardLive';

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
  // After the reveal the private board is the final standing, so it is what the page opens on.
  const asked = (await searchParams).split;
  const split: Split = c.revealed && asked !== 'public' ? 'private' : 'public';
  const base = `/competitions/${slug}/leaderboard`;
  const viewerTeam = c.viewer?.teamId ?? null;

  return (
    <>
      <div className="row" style={{ marginBottom: '1rem' }}>
        {c.revealed ? (
          <nav aria-label="Leaderboard split" className="row">
            <Link
              href={`${base}?split=private`}
              className={`btn btn--small${split === 'private' ? ' btn--primary' : ''}`}
              aria-current={split === 'private' ? 'page' : undefined}
            >
              Private: final standing
            </Link>
            <Link href={`${base}?split=public`} className={`btn btn--small${split === 'public' ? ' btn--primary' : ''}`} aria-current={split === 'public' ? 'page' : undefined}>
              Public, as it was at the close
            </Link>
          </nav>
        ) : (
          <p className="muted" style={{ margin: 0, flex: '1 1 30rem' }}>
            Public leaderboard: scored on the public part of the test set. The private leaderboard appears when the
            competition closes ({formatDate(c.closesAt)}).
          </p>
        )}
        <span className="spacer" />
        {c.revealed ? <span className="muted small">Final</span> : <LeaderboardLive slug={slug} split={split} />}
      </div>
      {/* The page's frame goes out at once; the board streams in when it is ready. */}
      <Suspense fallback={<p className="muted">Loading the leaderboard…</p>}>
        <Board slug={slug} split={split} viewerTeam={viewerTeam} />
      </Suspense>
    </>
  );
}

async function Board({ slug, split, viewerTeam }: { slug: string; split: Split; viewerTeam: string | null }) {
  let board: LeaderboardDto | null = null;
  let error: unknown = null;
  try {
    board = await api<LeaderboardDto>(`/competitions/${encodeURIComponent(slug)}/leaderboard?split=${split}`);
  } catch (e) {
    error = e;
  }
  const entries = board?.entries ?? [];
  // One half-range for every whisker: the widest interval's reach from its score.
  const halfRange = Math.max(1e-9, ...entries.flatMap((e) => (e.interval ? [e.score - e.interval[0], e.interval[1] - e.score] : []))) * 1.15;
  const hasIntervals = entries.some((e) => e.interval);

  return (
    <>
      {board?.frozenSince && (
        <p className="alert alert--info" data-testid="board-frozen">
          Frozen since {formatDate(board.frozenSince)}: the board as it stood then; your own new scores are on{' '}
          <Link href={`/competitions/${slug}/submissions`}>My submissions</Link>.
        </p>
      )}
      {board?.anonymous && (
        <p className="muted small" data-testid="board-anonymous">
          Other teams are shown under pseudonyms.
        </p>
      )}
      {error ? (
        <ErrorNote error={error} what="the leaderboard" />
      ) : entries.length === 0 ? (
        <p className="muted">{board?.frozenSince ? 'No team had a scored submission then.' : 'No scored submissions yet.'}</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="leaderboard" data-split={split} className="lb">
            <caption className="visually-hidden">
              {split === 'private' ? 'Private' : 'Public'} leaderboard
              {hasIntervals ? ', with 95% bootstrap intervals' : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Team</th>
                <th scope="col">Score</th>
                <th scope="col">{hasIntervals ? '95% interval' : ''}</th>
                <th scope="col">Entries</th>
                <th scope="col">Last</th>
              </tr>
            </thead>
            <tbody>
              {/* Markup per row is kept small on purpose: boards have hundreds of rows. */}
              {entries.map((e, i) => {
                const mine = e.teamId === viewerTeam;
                return (
                  <tr key={e.teamId} className={mine ? 'is-viewer' : undefined} aria-current={mine ? 'true' : undefined}>
                    <td>
                      {e.rank}
                      {e.tied && <span className="badge tie">tie</span>}
                    </td>
                    <td>
                      {e.teamName}
                      {mine && <span className="badge badge--info you">you</span>}
                    </td>
                    <td>{e.display}</td>
                    <td>
                      {e.interval && (
                        <>
                          <Whisker score={e.score} interval={e.interval} above={i > 0 ? entries[i - 1]!.score : null} halfRange={halfRange} />
                          {e.interval[0].toFixed(board!.precision)}–{e.interval[1].toFixed(board!.precision)}
                        </>
                      )}
                    </td>
                    <td>{e.entries}</td>
                    <td>{formatDate(e.submittedAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {hasIntervals && entries.length > 0 && (
        <p className="muted small hide-sm" style={{ marginTop: '0.75rem' }}>
          Whiskers: 95% bootstrap interval of each team&apos;s score (resampling test images), centred on the score; the dashed
          tick is the score of the team above — inside the whisker means the two are not clearly apart. “tie”: same
          displayed score as the team above; the earlier submission ranks first.
        </p>
      )}
    </>
  );
}
