'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { SubmissionDto } from '@holdout/contracts';
import { ClientApiError } from '@/lib/client';
import { encodePath } from '@/lib/format';
import { postWithProgress } from '@/lib/upload';

/** A starter kernel's code, with Copy and "Submit this" (the file as it is, as a kernel). */
export function StarterCode({ slug, name, code, canSubmit }: { slug: string; name: string; code: string; canSubmit: boolean }) {
  const router = useRouter();
  const [note, setNote] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const file = `/api/competitions/${encodeURIComponent(slug)}/data/${encodePath(name)}`;

  async function copy() {
    try {
      await navigator.clipboard.writeText(code);
      setNote({ kind: 'ok', text: 'Copied.' });
    } catch {
      setNote({ kind: 'error', text: 'The browser did not allow copying: select the code instead.' });
    }
  }

  async function submit() {
    setBusy(true);
    setNote(null);
    try {
      const original = await fetch(file, { credentials: 'same-origin' });
      if (!original.ok) throw new ClientApiError(original.status, 'not_found', 'The starter could not be read.');
      const body = new FormData();
      body.set('kind', 'kernel');
      body.set('description', `starter ${name.split('/').pop()}`);
      body.set('file', await original.blob(), name.split('/').pop()!);
      const s = await postWithProgress<SubmissionDto>(`/competitions/${encodeURIComponent(slug)}/submissions`, body, () => undefined);
      router.push(`/competitions/${slug}/submissions/${s.id}`);
    } catch (err) {
      setNote({ kind: 'error', text: err instanceof ClientApiError ? err.message : 'The server could not be reached.' });
      setBusy(false);
    }
  }

  return (
    <figure className="starter" data-testid="starter-code">
      <figcaption className="row">
        <code>{name}</code>
        <span className="spacer" />
        <button type="button" className="btn btn--small" onClick={() => void copy()}>
          Copy
        </button>
        <a className="btn btn--small" href={file} download>
          Download
        </a>
        {canSubmit && (
          <button type="button" className="btn btn--small btn--primary" onClick={() => void submit()} disabled={busy}>
            {busy ? 'Submitting…' : 'Submit this'}
          </button>
        )}
      </figcaption>
      {note && (
        <p className={`alert alert--${note.kind}`} role={note.kind === 'error' ? 'alert' : 'status'}>
          {note.text}
        </p>
      )}
      <pre className="log" tabIndex={0} aria-label={`Code of ${name}`} style={{ maxHeight: '32rem' }}>
        {code}
      </pre>
    </figure>
  );
}
