import type { CSSProperties } from 'react';
import type { CompetitionState, SubmissionKind, SubmissionStatus } from '@holdout/contracts';

export function StateBadge({ state, revealed }: { state: CompetitionState; revealed?: boolean }) {
  if (state === 'open') return <span className="badge badge--ok">Open</span>;
  if (state === 'upcoming') return <span className="badge badge--info">Upcoming</span>;
  return <span className="badge">{revealed ? 'Closed · private revealed' : 'Closed'}</span>;
}

const statusClass: Record<SubmissionStatus, string> = {
  queued: 'badge--info',
  running: 'badge--warn',
  scoring: 'badge--warn',
  scored: 'badge--ok',
  failed: 'badge--bad',
  cancelled: '',
  complete: 'badge--ok',
};

/** What the badge says: the status itself, except a kernel run without submitting, which was never a submission. */
const statusLabel: Partial<Record<SubmissionStatus, string>> = { complete: 'ran — not submitted' };

export function StatusBadge({ status }: { status: SubmissionStatus }) {
  return (
    <span className={`badge ${statusClass[status]}`} data-status={status}>
      {statusLabel[status] ?? status}
    </span>
  );
}

/** What a submission is, where it is not a prediction file (the default): `Kernel`, `Model`. */
export function KindBadge({ kind, style }: { kind: SubmissionKind; style?: CSSProperties }) {
  if (kind === 'file') return null;
  return (
    <span className="badge" data-testid="submission-kind" style={style}>
      {kind === 'model' ? 'Model' : 'Kernel'}
    </span>
  );
}
