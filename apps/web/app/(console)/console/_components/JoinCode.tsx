'use client';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { CourseDto } from '@holdout/contracts';
import { send } from '@/lib/client';
import { formatDate } from '@/lib/format';
import { useAction } from './useAction';
import { Message } from './Message';

/** Instructors: the course's join code, a new one (the old one stops working) with an optional expiry, or none. */
export function JoinCode({ courseId, code, expiresAt }: { courseId: string; code: string | null; expiresAt: string | null }) {
  const router = useRouter();
  const { busy, message, run } = useAction();
  const [current, setCurrent] = useState({ code, expiresAt });
  const path = `/courses/${encodeURIComponent(courseId)}/join-code`;

  function rotate(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const expiry = String(new FormData(e.currentTarget).get('expiresAt') ?? '');
    void run(async () => {
      // datetime-local is read as UTC, as everywhere in the console.
      const course = await send<CourseDto>('PUT', path, { expiresAt: expiry ? new Date(`${expiry}Z`).toISOString() : null });
      setCurrent({ code: course.joinCode ?? null, expiresAt: course.joinCodeExpiresAt ?? null });
      router.refresh();
      return `New join code ${course.joinCode}${course.joinCodeExpiresAt ? `, valid until ${formatDate(course.joinCodeExpiresAt)}` : ''}. The old code no longer works.`;
    });
  }
  function revoke() {
    void run(async () => {
      await send<CourseDto>('DELETE', path);
      setCurrent({ code: null, expiresAt: null });
      router.refresh();
      return 'Join code revoked: nobody can join by code.';
    });
  }

  return (
    <>
      {current.code ? (
        <p>
          Code <code data-testid="join-code">{current.code}</code>{' '}
          <span className="muted small" data-testid="join-code-expiry">
            {current.expiresAt ? `expires ${formatDate(current.expiresAt)}` : 'never expires'}
          </span>
        </p>
      ) : (
        <p data-testid="join-code-revoked">Revoked: nobody can join by code.</p>
      )}
      <form onSubmit={rotate}>
        <div className="field">
          <label htmlFor="join-code-expiry-input">Expires at (UTC, optional)</label>
          <input id="join-code-expiry-input" name="expiresAt" type="datetime-local" />
        </div>
        <button className="btn" type="submit" disabled={busy}>
          New code
        </button>{' '}
        {current.code && (
          <button className="btn" type="button" disabled={busy} onClick={revoke}>
            Revoke
          </button>
        )}
      </form>
      <Message message={message} />
    </>
  );
}
