'use client';
import { useState } from 'react';
import type { SubmissionDto, SubmissionKind } from '@holdout/contracts';
import { ClientApiError, send } from '@/lib/client';

/**
 * Cancels a queued or running kernel or model (`POST /api/submissions/:id/cancel`; not charged),
 * after a second click that says what is lost.
 */
export function CancelRun({ id, kind, onCancelled }: { id: string; kind: SubmissionKind; onCancelled: (s: SubmissionDto) => void }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const what = kind === 'model' ? 'model' : 'kernel';

  async function cancel() {
    setBusy(true);
    setError(null);
    try {
      onCancelled(await send<SubmissionDto>('POST', `/submissions/${encodeURIComponent(id)}/cancel`));
      setAsking(false);
    } catch (err) {
      setError(err instanceof ClientApiError ? err.message : 'The server could not be reached.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="stack" data-testid="cancel-run">
      {asking ? (
        <div className="row" role="group" aria-label={`Cancel this ${what}?`}>
          <span>Cancel this {what}? Its run stops and is lost; it is not charged.</span>
          <button type="button" className="btn btn--small btn--danger" onClick={() => void cancel()} disabled={busy}>
            {busy ? 'Cancelling…' : `Yes, cancel the ${what}`}
          </button>
          <button type="button" className="btn btn--small" onClick={() => setAsking(false)} disabled={busy}>
            Keep it
          </button>
        </div>
      ) : (
        <div>
          <button type="button" className="btn btn--small" onClick={() => setAsking(true)}>
            Cancel {what}
          </button>
        </div>
      )}
      {error && (
        <div className="alert alert--error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
