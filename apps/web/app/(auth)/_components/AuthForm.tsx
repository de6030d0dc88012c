'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { send, ClientApiError } from '@/lib/client';

/** Sign-in and sign-up share one form; the API sets the session cookie. */
export function AuthForm({ mode, next }: { mode: 'login' | 'register'; next: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const body: Record<string, string> = {
      email: String(form.get('email') ?? '').trim(),
      password: String(form.get('password') ?? ''),
    };
    if (mode === 'register') body.displayName = String(form.get('displayName') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      await send('POST', mode === 'login' ? '/auth/login' : '/auth/register', body);
      if (mode === 'register') {
        // Some deployments do not sign in on registration: make sure a session exists.
        try {
          await send('GET', '/me');
        } catch {
          await send('POST', '/auth/login', { email: body.email, password: body.password });
        }
      }
      router.replace(safeNext(next));
      router.refresh();
    } catch (err) {
      setError(err instanceof ClientApiError ? err.message : 'The server could not be reached.');
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="card" style={{ maxWidth: '28rem' }} noValidate={false}>
      {error && (
        <div className="alert alert--error" role="alert">
          {error}
        </div>
      )}
      {mode === 'register' && (
        <div className="field">
          <label htmlFor="displayName">Display name</label>
          <input id="displayName" name="displayName" type="text" autoComplete="nickname" required maxLength={80} />
        </div>
      )}
      <div className="field">
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="email" required />
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
          required
          minLength={mode === 'register' ? 8 : undefined}
          aria-describedby={mode === 'register' ? 'password-hint' : undefined}
        />
        {mode === 'register' && (
          <span id="password-hint" className="hint">
            At least 8 characters.
          </span>
        )}
        {mode === 'login' && (
          <span className="hint">
            <Link href="/forgot-password">Forgot your password?</Link>
          </span>
        )}
      </div>
      <div className="row">
        <button type="submit" className="btn btn--primary" disabled={busy}>
          {mode === 'login' ? 'Sign in' : 'Create account'}
        </button>
        <span className="muted small">
          {mode === 'login' ? (
            <>
              New here? <Link href={`/register?next=${encodeURIComponent(next)}`}>Create an account</Link>
            </>
          ) : (
            <>
              Have an account? <Link href={`/login?next=${encodeURIComponent(next)}`}>Sign in</Link>
            </>
          )}
        </span>
      </div>
    </form>
  );
}

/** Only same-site paths: never redirect to another origin after signing in. */
function safeNext(next: string): string {
  // Same-origin paths only: "//host" and "/\\host" would leave the site.
  return next.startsWith('/') && !/^\/[\\/]/.test(next) ? next : '/';
}
