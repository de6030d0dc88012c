'use client';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { send, ClientApiError } from '@/lib/client';

type Outcome = { kind: 'error' | 'done'; text: string } | null;

function useSubmit(run: (form: FormData) => Promise<string>) {
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setOutcome(null);
    try {
      setOutcome({ kind: 'done', text: await run(form) });
    } catch (err) {
      setOutcome({ kind: 'error', text: err instanceof ClientApiError ? err.message : 'The server could not be reached.' });
    } finally {
      setBusy(false);
    }
  }
  return { outcome, busy, onSubmit };
}

function Note({ outcome }: { outcome: Outcome }) {
  if (!outcome) return null;
  return (
    <div className={`alert ${outcome.kind === 'error' ? 'alert--error' : 'alert--ok'}`} role={outcome.kind === 'error' ? 'alert' : 'status'}>
      {outcome.text}
    </div>
  );
}

/** Asks for a reset link; the answer is the same whether or not the account exists. */
export function ForgotPasswordForm() {
  const { outcome, busy, onSubmit } = useSubmit(async (form) => {
    const r = await send<{ message: string }>('POST', '/auth/password-reset', { email: String(form.get('email') ?? '').trim() });
    return r.message;
  });
  return (
    <form onSubmit={onSubmit} className="card" style={{ maxWidth: '28rem' }}>
      <Note outcome={outcome} />
      <div className="field">
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="email" required />
      </div>
      <div className="row">
        <button type="submit" className="btn btn--primary" disabled={busy}>
          Send the link
        </button>
        <span className="muted small">
          Remembered it? <Link href="/login">Sign in</Link>
        </span>
      </div>
    </form>
  );
}

/** Sets a new password with the token of the mailed link. */
export function ResetPasswordForm({ token }: { token: string }) {
  const [done, setDone] = useState(false);
  const { outcome, busy, onSubmit } = useSubmit(async (form) => {
    const r = await send<{ message: string }>('POST', '/auth/password-reset/confirm', { token, password: String(form.get('password') ?? '') });
    setDone(true);
    return r.message;
  });
  if (done && outcome?.kind === 'done') {
    return (
      <div className="card" style={{ maxWidth: '28rem' }}>
        <Note outcome={outcome} />
        <Link className="btn btn--primary" href="/login">
          Sign in
        </Link>
      </div>
    );
  }
  return (
    <form onSubmit={onSubmit} className="card" style={{ maxWidth: '28rem' }}>
      <Note outcome={outcome} />
      {outcome?.kind === 'error' && (
        <p className="small">
          <Link href="/forgot-password">Ask for a new link</Link>
        </p>
      )}
      <div className="field">
        <label htmlFor="password">New password</label>
        <input id="password" name="password" type="password" autoComplete="new-password" required minLength={8} aria-describedby="password-hint" />
        <span id="password-hint" className="hint">
          At least 8 characters. Every device signed in to your account is signed out.
        </span>
      </div>
      <button type="submit" className="btn btn--primary" disabled={busy}>
        Set the new password
      </button>
    </form>
  );
}
