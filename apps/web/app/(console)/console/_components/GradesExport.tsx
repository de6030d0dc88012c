'use client';
import { useState } from 'react';

type Mapping = 'none' | 'linear' | 'rank';

/**
 * Download links for the grades export (`GET /api/competitions/:slug/grades`), CSV and JSON, with the
 * chosen grade mapping in the query string. The mapping is on the private standing: grades are
 * empty until the reveal.
 */
export function GradesExport({ slug, revealed }: { slug: string; revealed: boolean }) {
  const [mapping, setMapping] = useState<Mapping>('none');
  const [low, setLow] = useState('');
  const [high, setHigh] = useState('');

  const linearProblem =
    mapping !== 'linear'
      ? null
      : low.trim() === '' || high.trim() === '' || !Number.isFinite(Number(low)) || !Number.isFinite(Number(high))
        ? 'Give the scores that map to 0 and to 100.'
        : Number(high) <= Number(low)
          ? 'The score for 100 must be above the score for 0.'
          : null;

  function href(format: 'csv' | 'json'): string {
    const q = new URLSearchParams();
    if (format === 'csv') q.set('format', 'csv');
    if (mapping === 'linear') {
      q.set('grade', 'linear');
      q.set('low', String(Number(low)));
      q.set('high', String(Number(high)));
    } else if (mapping === 'rank') q.set('grade', 'rank');
    const qs = q.toString();
    return `/api/competitions/${encodeURIComponent(slug)}/grades${qs ? `?${qs}` : ''}`;
  }

  return (
    <>
      <p className="muted small">
        One row per student of the course: team, public and private score and rank, final selections, late and disqualified.
        {revealed ? '' : ' Private scores, ranks and grades stay empty until the private leaderboard is revealed.'}
      </p>
      <fieldset>
        <legend>Grade column</legend>
        {(
          [
            ['none', 'None'],
            ['linear', 'Linear on the private score'],
            ['rank', 'By private rank (first 100, last 0)'],
          ] as const
        ).map(([value, label]) => (
          <div key={value}>
            <label>
              <input type="radio" name="grade-mapping" value={value} checked={mapping === value} onChange={() => setMapping(value)} /> {label}
            </label>
          </div>
        ))}
        {mapping === 'linear' && (
          <div className="row" style={{ marginTop: '0.6rem', alignItems: 'flex-start' }}>
            <div className="field">
              <label htmlFor="g-low">Score for a grade of 0</label>
              <input id="g-low" type="number" step="any" value={low} onChange={(e) => setLow(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="g-high">Score for a grade of 100</label>
              <input id="g-high" type="number" step="any" value={high} onChange={(e) => setHigh(e.target.value)} />
            </div>
          </div>
        )}
      </fieldset>
      {linearProblem ? (
        <p className="small" role="status" data-testid="grades-problem">
          {linearProblem}
        </p>
      ) : (
        <p className="row" data-testid="grades-links">
          <a className="btn" href={href('csv')} download={`${slug}-grades.csv`}>
            Download grades (CSV)
          </a>
          <a className="btn" href={href('json')} download={`${slug}-grades.json`}>
            Download grades (JSON)
          </a>
        </p>
      )}
    </>
  );
}
