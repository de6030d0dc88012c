import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import type { AuditEventDto, CompetitionSummaryDto } from '@holdout/contracts';
import { api, apiOrNull, requireMe } from '@/lib/api';
import { formatDate } from '@/lib/format';
import { ErrorNote } from '../../../../../_components/ErrorNote';

export const metadata: Metadata = { title: 'Audit log' };

const PAGE = 50;

type Filters = { competition?: string; action?: string; before?: string };

/** The query string of this page (and of the API call): only the filters that are set. */
function query(f: Filters & { limit?: number }): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v !== undefined && String(v).trim() !== '') q.set(k, String(v).trim());
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** `{"from":3,"to":5}` → `from: 3 · to: 5`; nested values as compact JSON, long ones cut. */
function describeData(data: Record<string, unknown>): { key: string; value: string }[] {
  return Object.entries(data).map(([key, v]) => {
    const text = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
    return { key, value: text.length > 160 ? `${text.slice(0, 157)}…` : text };
  });
}

export default async function AuditPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Filters> }) {
  const { id } = await params;
  const sp = await searchParams;
  const filters: Filters = { competition: sp.competition, action: sp.action, before: sp.before };
  const me = await requireMe(`/console/courses/${id}/audit${query(filters)}`);
  const course = me.courses.find((c) => c.id === id);
  if (!me.isAdmin && course?.role !== 'instructor') notFound();
  const competitions = ((await apiOrNull<CompetitionSummaryDto[]>('/competitions')) ?? []).filter((c) => c.courseId === id);

  let events: AuditEventDto[] = [];
  let error: unknown = null;
  try {
    events = await api<AuditEventDto[]>(`/courses/${encodeURIComponent(id)}/audit${query({ ...filters, limit: PAGE })}`);
  } catch (e) {
    error = e;
  }
  const base = `/console/courses/${id}/audit`;
  const last = events.at(-1);
  const filtered = !!(filters.competition || filters.action);

  return (
    <>
      <p>
        <Link href={`/console/courses/${id}`}>← {course?.name ?? 'Course'}</Link>
      </p>
      <div className="page-head">
        <h1>Audit log{course ? `: ${course.name}` : ''}</h1>
      </div>
      <p className="muted">What instructors, TAs and site admins did in this course, newest first: settings, closes, rescores, roles, team merges and disqualifications.</p>
      <form method="get" action={base} className="row card" style={{ alignItems: 'flex-end' }} aria-label="Filter the audit log">
        <div className="field" style={{ marginBottom: 0 }}>
          <label htmlFor="a-competition">Competition</label>
          <select id="a-competition" name="competition" defaultValue={filters.competition ?? ''}>
            <option value="">All</option>
            {competitions.map((c) => (
              <option key={c.slug} value={c.slug}>
                {c.title}
              </option>
            ))}
          </select>
        </div>
        <div className="field" style={{ marginBottom: 0 }}>
          <label htmlFor="a-action">Action starts with</label>
          <input id="a-action" name="action" type="text" maxLength={64} defaultValue={filters.action ?? ''} placeholder="team." aria-describedby="a-action-hint" />
          <span id="a-action-hint" className="hint">
            e.g. <code>team.</code>, <code>competition.close</code>
          </span>
        </div>
        <button className="btn btn--primary" type="submit">
          Filter
        </button>
        {filtered && <Link href={base}>Clear filters</Link>}
      </form>
      {error ? (
        <ErrorNote error={error} what="the audit log" />
      ) : events.length === 0 ? (
        <p className="muted" data-testid="audit-empty">
          {filters.before ? 'No older events.' : filtered ? 'No events match these filters.' : 'Nothing recorded yet.'}
        </p>
      ) : (
        <div className="table-wrap">
          <table data-testid="audit">
            <caption className="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Competition</th>
                <th scope="col">What changed</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id} data-testid="audit-row" data-action={e.action}>
                  <td className="small">{formatDate(e.at)}</td>
                  <td className="small">
                    {e.actor ? (
                      <>
                        {e.actor.displayName}
                        <div className="muted">{e.actor.email}</div>
                      </>
                    ) : (
                      <span className="muted">the platform</span>
                    )}
                  </td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td className="small">{e.competition ? <Link href={`/console/competitions/${e.competition}`}>{e.competition}</Link> : '—'}</td>
                  <td className="small" data-testid="audit-data">
                    {describeData(e.data).map(({ key, value }) => (
                      <div key={key}>
                        <span className="muted">{key}:</span> <span className="mono">{value}</span>
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {(filters.before || (last && events.length === PAGE)) && (
        <nav aria-label="Audit log pages" className="row" style={{ marginTop: '1rem' }}>
          {filters.before && <Link href={`${base}${query({ ...filters, before: undefined })}`}>Newest</Link>}
          {last && events.length === PAGE && (
            <Link href={`${base}${query({ ...filters, before: last.id })}`} rel="next">
              Older
            </Link>
          )}
        </nav>
      )}
    </>
  );
}
