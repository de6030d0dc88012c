'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { CourseDto } from '@holdout/contracts';
import { send, ClientApiError } from '@/lib/client';

export function JoinForm({ initialCode }: { initialCode: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [joined, setJoined] = useState<CourseDto | null>(null);
  const [busy, setBusy] = useState(false);
  // Controlled: a code that came in the link (?code=) is cleared too once it has been used.
  const [code, setCode] = useState(initialCode);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setJoined(null);
    try {
      const course = await send<CourseDto>('POST', '/courses/join', { code: code.trim() });
      setJoined(course);
      setCode('');
      // A code in the address is spent; the header's courses change.
      if (window.location.search) window.history.replaceState(null, '', '/join');
      router.refresh();
    } catch (err) {
      setError(err instanceof ClientApiError ? err.message : 'The server could not be reached.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="card" style={{ maxWidth: '28rem' }}>
      {error && (
        <div className="alert alert--error" role="alert">
          {error}
        </div>
      )}
      {joined && (
        <div className="alert alert--ok" role="status">
          You joined <strong>{joined.name}</strong>. <Link href={`/competitions?course=${encodeURIComponent(joined.id)}`}>See its competitions</Link>.
        </div>
      )}
      <div className="field">
        <label htmlFor="code">Course code</label>
        <input id="code" name="code" type="text" required value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" spellCheck={false} />
      </div>
      <button type="submit" className="btn btn--primary" disabled={busy}>
        Join
      </button>
    </form>
  );
}
