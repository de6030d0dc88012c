'use client';

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section className="card" style={{ maxWidth: '36rem' }} role="alert">
      <h1>Something went wrong</h1>
      <p className="muted">{error.digest ? `Reference ${error.digest}.` : 'Please try again.'}</p>
      <button className="btn" type="button" onClick={reset}>
        Try again
      </button>
    </section>
  );
}
