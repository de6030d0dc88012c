'use client';
import Link from 'next/link';
import { useState } from 'react';
import type { SubmissionDto } from '@holdout/contracts';
import { send, ClientApiError } from '@/lib/client';
import { formatDate, formatScore, KIND_LABELS } from '@/lib/format';
import { TERMINAL, useSubmissionEvents } from '@/lib/live';
import { KindBadge, StatusBadge } from '../../../../_components/StateBadge';

function LiveRow({
  s,
  revealed,
  canSelect,
  closed,
  onUpdate,
  onToggle,
  busy,
  slug,
}: {
  s: SubmissionDto;
  revealed: boolean;
  canSelect: boolean;
  closed: boolean;
  onUpdate: (s: SubmissionDto) => void;
  onToggle: (s: SubmissionDto) => void;
  busy: boolean;
  slug: string;
}) {
  useSubmissionEvents(s.id, !TERMINAL.includes(s.status), (ev) => {
    if (ev.type === 'status') onUpdate(ev.submission);
  });
  const selectable = s.status === 'scored' && !s.late;
  return (
    <tr data-testid="submission-row" data-id={s.id}>
      <td data-label="Final">
        <input
          type="checkbox"
          checked={s.selected}
          disabled={busy || closed || !selectable || (!s.selected && !canSelect)}
          title={closed ? 'The competition has closed: the selection is final' : undefined}
          onChange={() => onToggle(s)}
          aria-label={`Final submission: ${s.fileName ?? s.id}`}
        />
      </td>
      <td data-label="Submission">
        <Link href={`/competitions/${slug}/submissions/${s.id}`}>{s.fileName ?? KIND_LABELS[s.kind]}</Link>
        <KindBadge kind={s.kind} style={{ marginLeft: '0.4rem' }} />
        {s.description && <div className="muted small">{s.description}</div>}
      </td>
      <td className="small" data-label="Submitted">
        {formatDate(s.createdAt)}
      </td>
      <td data-label="Status">
        <StatusBadge status={s.status} />
        {s.late && <span className="badge badge--warn">late</span>}
        {s.runOnly && <span className="badge badge--info">run only</span>}
        {s.kind !== 'file' && !s.charged && (s.runOnly || TERMINAL.includes(s.status)) && <span className="badge">not charged</span>}
        {s.error && <div className="small" style={{ color: 'var(--bad)' }}>{s.error.message}</div>}
        {s.disqualified && (
          <div className="small" data-testid="submission-disqualified">
            Disqualified: {s.disqualified.reason}
          </div>
        )}
      </td>
      <td className="num" data-testid="public-score" data-label="Public">
        {formatScore(s.publicScore)}
      </td>
      {revealed && (
        <td className="num" data-label="Private">
          {formatScore(s.privateScore)}
        </td>
      )}
      <td className="num hide-sm">{formatScore(s.cvScore)}</td>
    </tr>
  );
}

export function SubmissionsTable({
  slug,
  initial,
  revealed,
  limit,
  closed,
}: {
  slug: string;
  initial: SubmissionDto[];
  revealed: boolean;
  limit: number;
  /** After the close the selection is final: the boxes are disabled, saying why. */
  closed: boolean;
}) {
  const [subs, setSubs] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'error' | 'ok'; text: string } | null>(null);
  const selected = subs.filter((s) => s.selected).length;

  function update(next: SubmissionDto) {
    setSubs((list) => list.map((s) => (s.id === next.id ? { ...s, ...next } : s)));
  }
  async function toggle(s: SubmissionDto) {
    setBusy(true);
    setMessage(null);
    // Optimistic: the box follows the click at once and goes back if the API refuses.
    update({ ...s, selected: !s.selected });
    try {
      const res = await send<SubmissionDto | null>('PUT', `/submissions/${s.id}/selection`, { selected: !s.selected });
      if (res) update(res);
      setMessage({ kind: 'ok', text: `${!s.selected ? 'Selected' : 'Unselected'} ${s.fileName ?? s.id}.` });
    } catch (err) {
      update(s);
      setMessage({ kind: 'error', text: err instanceof ClientApiError ? err.message : 'Could not change the selection.' });
    } finally {
      setBusy(false);
    }
  }

  if (subs.length === 0) return <p className="muted">No submissions yet.</p>;
  return (
    <>
      <p data-testid="selection-count">
        <strong>
          {selected} of {limit}
        </strong>{' '}
        final submissions selected. The private leaderboard uses your selected submissions, or, if you select none, your
        best public ones.{closed && ' The competition has closed: the selection is final.'}
      </p>
      <div aria-live="polite">
        {message && (
          <div className={`alert alert--${message.kind}`} role={message.kind === 'error' ? 'alert' : 'status'}>
            {message.text}
          </div>
        )}
      </div>
      <div className="table-wrap">
        <table className="cards">
          <caption className="visually-hidden">Your submissions, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Final</th>
              <th scope="col">Submission</th>
              <th scope="col">Submitted</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Public
              </th>
              {revealed && (
                <th scope="col" className="num">
                  Private
                </th>
              )}
              <th scope="col" className="num hide-sm">
                CV
              </th>
            </tr>
          </thead>
          <tbody>
            {subs.map((s) => (
              <LiveRow
                key={s.id}
                s={s}
                slug={slug}
                revealed={revealed}
                canSelect={selected < limit}
                closed={closed}
                onUpdate={update}
                onToggle={toggle}
                busy={busy}
              />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
