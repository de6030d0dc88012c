'use client';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { ShakeupDto, ShakeupTeamDto } from '@holdout/contracts';

const MAX_BUMP_TEAMS = 60;

function lineColour(t: ShakeupTeamDto, viewerTeam: string | null): string {
  if (t.teamId === viewerTeam) return 'var(--accent)';
  return t.change > 0 ? 'var(--ok)' : t.change < 0 ? 'var(--bad)' : 'var(--muted)';
}

/** Bump chart public → private with medal zones, public-vs-private scatter, CV vs public vs private. */
export function ShakeupCharts({ data, viewerTeam }: { data: ShakeupDto; viewerTeam: string | null }) {
  // The bump chart stays readable with the teams that matter most: the best by either rank.
  const teams = [...data.teams]
    .sort((a, b) => Math.min(a.publicRank, a.privateRank) - Math.min(b.publicRank, b.privateRank))
    .slice(0, MAX_BUMP_TEAMS);
  const maxRank = Math.max(1, ...teams.flatMap((t) => [t.publicRank, t.privateRank]));
  const bump = [
    Object.fromEntries([['stage', 'Public rank'], ...teams.map((t) => [t.teamId, t.publicRank])]),
    Object.fromEntries([['stage', 'Private rank'], ...teams.map((t) => [t.teamId, t.privateRank])]),
  ];
  const { gold, silver, bronze } = data.medalCutoffs;
  const zones = [
    { from: 0.5, to: gold + 0.5, fill: 'var(--gold)', label: 'Gold' },
    { from: gold + 0.5, to: silver + 0.5, fill: 'var(--silver)', label: 'Silver' },
    { from: silver + 0.5, to: bronze + 0.5, fill: 'var(--bronze)', label: 'Bronze' },
  ].filter((z) => z.to > z.from && z.from < maxRank + 0.5);

  const scatter = data.teams.map((t) => ({ x: t.publicScore, y: t.privateScore, name: t.teamName }));
  const scores = data.teams.flatMap((t) => [t.publicScore, t.privateScore, ...(t.cvScore != null ? [t.cvScore] : [])]);
  const lo = Math.floor(Math.min(...scores) * 100) / 100;
  const hi = Math.ceil(Math.max(...scores) * 100) / 100;
  const withCv = data.teams.filter((t) => t.cvScore != null);

  const axis = { stroke: 'var(--muted)', tick: { fill: 'var(--muted)', fontSize: 12 } };
  const tooltip = { contentStyle: { background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' } };

  return (
    <div className="stack">
      <figure className="card" style={{ margin: 0 }}>
        <h2>Public → private ranks</h2>
        <div className="legend-medals" aria-hidden="true">
          {zones.map((z) => (
            <span key={z.label}>
              <span className="swatch" style={{ background: z.fill, opacity: 0.35 }} />
              {z.label} zone
            </span>
          ))}
          <span>
            <span className="swatch" style={{ background: 'var(--ok)' }} />
            moved up
          </span>
          <span>
            <span className="swatch" style={{ background: 'var(--bad)' }} />
            moved down
          </span>
        </div>
        <div className="chart" role="img" aria-label={`Bump chart of ${teams.length} teams from public to private rank; the table below lists every team.`} data-testid="bump-chart">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={bump} margin={{ top: 10, right: 30, bottom: 10, left: 10 }}>
              {zones.map((z) => (
                <ReferenceArea key={z.label} y1={z.from} y2={Math.min(z.to, maxRank + 0.5)} fill={z.fill} fillOpacity={0.18} ifOverflow="hidden" />
              ))}
              <XAxis dataKey="stage" {...axis} padding={{ left: 30, right: 30 }} />
              <YAxis reversed domain={[0.5, maxRank + 0.5]} allowDecimals={false} {...axis} label={{ value: 'rank', angle: -90, position: 'insideLeft', fill: 'var(--muted)' }} />
              <Tooltip {...tooltip} />
              {teams.map((t) => (
                <Line
                  key={t.teamId}
                  dataKey={t.teamId}
                  name={t.teamName}
                  stroke={lineColour(t, viewerTeam)}
                  strokeWidth={t.teamId === viewerTeam ? 3.5 : 1.5}
                  dot={{ r: 3 }}
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
        {data.teams.length > teams.length && (
          <figcaption className="muted small">Showing the {teams.length} teams with the best public or private rank.</figcaption>
        )}
      </figure>

      <figure className="card" style={{ margin: 0 }}>
        <h2>Public vs private score</h2>
        <div className="chart" role="img" aria-label="Scatter plot of each team's public score against its private score; points below the diagonal did worse on the private part." data-testid="scatter-chart">
          <ResponsiveContainer width="100%" height="100%">
            <ScatterChart margin={{ top: 10, right: 30, bottom: 20, left: 10 }}>
              <CartesianGrid stroke="var(--border)" />
              <XAxis type="number" dataKey="x" name="public" domain={[lo, hi]} {...axis} label={{ value: 'public score', position: 'insideBottom', offset: -10, fill: 'var(--muted)' }} />
              <YAxis type="number" dataKey="y" name="private" domain={[lo, hi]} {...axis} label={{ value: 'private score', angle: -90, position: 'insideLeft', fill: 'var(--muted)' }} />
              <ReferenceLine segment={[{ x: lo, y: lo }, { x: hi, y: hi }]} stroke="var(--muted)" strokeDasharray="4 4" />
              <Tooltip {...tooltip} cursor={{ strokeDasharray: '3 3' }} />
              <Scatter data={scatter} fill="var(--accent)" isAnimationActive={false} />
            </ScatterChart>
          </ResponsiveContainer>
        </div>
      </figure>

      <figure className="card" style={{ margin: 0 }}>
        <h2>Local CV vs public vs private</h2>
        {withCv.length === 0 ? (
          <p className="muted">No team gave a local CV score.</p>
        ) : (
          <div className="chart" role="img" aria-label={`Local CV score of ${withCv.length} teams against their public and private scores.`} data-testid="cv-chart">
            <ResponsiveContainer width="100%" height="100%">
              <ScatterChart margin={{ top: 10, right: 30, bottom: 20, left: 10 }}>
                <CartesianGrid stroke="var(--border)" />
                <XAxis type="number" dataKey="x" name="CV" domain={[lo, hi]} {...axis} label={{ value: 'local CV score', position: 'insideBottom', offset: -10, fill: 'var(--muted)' }} />
                <YAxis type="number" dataKey="y" name="score" domain={[lo, hi]} {...axis} />
                <ReferenceLine segment={[{ x: lo, y: lo }, { x: hi, y: hi }]} stroke="var(--muted)" strokeDasharray="4 4" />
                <Tooltip {...tooltip} />
                <Legend verticalAlign="top" />
                <Scatter name="public" data={withCv.map((t) => ({ x: t.cvScore!, y: t.publicScore, name: t.teamName }))} fill="var(--accent)" isAnimationActive={false} />
                <Scatter name="private" data={withCv.map((t) => ({ x: t.cvScore!, y: t.privateScore, name: t.teamName }))} fill="var(--bronze)" shape="triangle" isAnimationActive={false} />
              </ScatterChart>
            </ResponsiveContainer>
          </div>
        )}
      </figure>
    </div>
  );
}
