import type { Metadata } from 'next';
import type { ShakeupDto } from '@holdout/contracts';
import { apiOrNull } from '@/lib/api';
import { getCompetition } from '@/lib/competition';
import { formatScore } from '@/lib/format';
import { ShakeupCharts } from './_components/ShakeupCharts';

export const metadata: Metadata = { title: 'Shake-up' };

function MedalBadge({ medal }: { medal: 'gold' | 'silver' | 'bronze' }) {
  return (
    <span className="medal" data-medal={medal}>
      {medal}
    </span>
  );
}

export default async function ShakeupPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const c = await getCompetition(slug);
  if (!c.revealed) {
    return <p className="muted">The shake-up review appears once the competition has closed and the private leaderboard is revealed.</p>;
  }
  const data = await apiOrNull<ShakeupDto>(`/competitions/${encodeURIComponent(slug)}/shakeup`);
  if (!data || data.teams.length === 0) return <p className="muted">No ranked teams to compare.</p>;
  const fmt = (v: number | null) => (v == null ? '—' : v.toFixed(3));
  const viewerTeam = c.viewer?.teamId ?? null;
  return (
    <div className="stack">
      <dl className="stats" data-testid="shakeup-stats">
        <div>
          <dt>Teams</dt>
          <dd>{data.teams.length}</dd>
        </div>
        <div>
          <dt>Spearman ρ</dt>
          <dd>{fmt(data.spearman)}</dd>
        </div>
        <div>
          <dt>Kendall τ</dt>
          <dd>{fmt(data.kendall)}</dd>
        </div>
        <div>
          <dt>Mean |rank change|</dt>
          <dd>{data.meanAbsRankChange.toFixed(2)}</dd>
        </div>
      </dl>
      {(data.entered.length > 0 || data.left.length > 0) && (
        <section className="card" aria-labelledby="medals-h">
          <h2 id="medals-h">Medal zones</h2>
          <p className="small muted">
            Gold: top {data.medalCutoffs.gold}, silver: top {data.medalCutoffs.silver}, bronze: top {data.medalCutoffs.bronze}.
          </p>
          <div className="grid">
            <div>
              <h3>Entered</h3>
              <ul>
                {data.entered.map((t) => (
                  <li key={t.teamId}>
                    {t.teamName} <MedalBadge medal={t.medal} />
                  </li>
                ))}
                {data.entered.length === 0 && <li className="muted">nobody</li>}
              </ul>
            </div>
            <div>
              <h3>Left</h3>
              <ul>
                {data.left.map((t) => (
                  <li key={t.teamId}>
                    {t.teamName} <MedalBadge medal={t.medal} />
                  </li>
                ))}
                {data.left.length === 0 && <li className="muted">nobody</li>}
              </ul>
            </div>
          </div>
        </section>
      )}
      <ShakeupCharts data={data} viewerTeam={viewerTeam} />
      <section aria-labelledby="table-h">
        <h2 id="table-h">Every team</h2>
        <div className="table-wrap">
          <table data-testid="shakeup-table">
            <thead>
              <tr>
                <th scope="col">Team</th>
                <th scope="col" className="num">
                  Public rank
                </th>
                <th scope="col" className="num">
                  Private rank
                </th>
                <th scope="col" className="num">
                  Change
                </th>
                <th scope="col" className="num">
                  Public
                </th>
                <th scope="col" className="num">
                  Private
                </th>
                <th scope="col" className="num hide-sm">
                  CV
                </th>
              </tr>
            </thead>
            <tbody>
              {[...data.teams]
                .sort((a, b) => a.privateRank - b.privateRank)
                .map((t) => (
                  <tr key={t.teamId} className={t.teamId === viewerTeam ? 'is-viewer' : undefined}>
                    <td>
                      {t.teamName}
                      {t.privateMedal && <> <MedalBadge medal={t.privateMedal} /></>}
                    </td>
                    <td className="num">{t.publicRank}</td>
                    <td className="num">{t.privateRank}</td>
                    <td className="num" style={{ color: t.change > 0 ? 'var(--ok)' : t.change < 0 ? 'var(--bad)' : undefined }}>
                      {t.change > 0 ? `▲ ${t.change}` : t.change < 0 ? `▼ ${-t.change}` : '='}
                    </td>
                    <td className="num">{formatScore(t.publicScore)}</td>
                    <td className="num">{formatScore(t.privateScore)}</td>
                    <td className="num hide-sm">{formatScore(t.cvScore)}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
