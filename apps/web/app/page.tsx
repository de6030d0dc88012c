import Link from 'next/link';
import type { CompetitionSummaryDto } from '@holdout/contracts';
import { api, getMe } from '@/lib/api';
import { CompetitionCard } from './_components/CompetitionCard';
import { ErrorNote } from './_components/ErrorNote';

export default async function Home() {
  const me = await getMe();
  if (!me) {
    return (
      <section className="card" style={{ maxWidth: '44rem' }}>
        <h1>Image-segmentation competitions for your course</h1>
        <p>
          Submit predictions, notebooks or models, watch them score on the public part of a hidden test set, and
          find out at the close how they hold up on the private part.
        </p>
        <div className="row">
          <Link className="btn btn--primary" href="/register">
            Sign up
          </Link>
          <Link className="btn" href="/login">
            Sign in
          </Link>
          <Link href="/competitions">Browse competitions</Link>
        </div>
      </section>
    );
  }
  let competitions: CompetitionSummaryDto[] = [];
  let error: unknown = null;
  try {
    competitions = await api<CompetitionSummaryDto[]>('/competitions');
  } catch (e) {
    error = e;
  }
  const courseName = new Map(me.courses.map((c) => [c.id, c.name]));
  return (
    <>
      <div className="page-head">
        <h1>Welcome, {me.displayName}</h1>
      </div>
      <section aria-labelledby="courses-h" className="stack">
        <div className="row">
          <h2 id="courses-h" style={{ margin: 0 }}>
            Your courses
          </h2>
          <span className="spacer" />
          <Link className="btn btn--small" href="/join">
            Join a course
          </Link>
        </div>
        {me.courses.length === 0 ? (
          <p className="muted">
            You are not in a course yet. <Link href="/join">Join one with its code</Link>.
          </p>
        ) : (
          <ul className="grid" style={{ listStyle: 'none', padding: 0 }} data-testid="course-list">
            {me.courses.map((c) => (
              <li key={c.id} className="card">
                <strong>{c.name}</strong>
                <div className="muted small">
                  {c.role}
                  {c.joinCode && (
                    <>
                      {' '}
                      · join code <code data-testid="join-code">{c.joinCode}</code>
                    </>
                  )}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="comps-h" style={{ marginTop: '2rem' }}>
        <h2 id="comps-h">Competitions</h2>
        {error ? (
          <ErrorNote error={error} what="competitions" />
        ) : competitions.length === 0 ? (
          <p className="muted">No competitions yet.</p>
        ) : (
          <div className="grid">
            {competitions.map((c) => (
              <CompetitionCard key={c.slug} c={c} course={c.courseId ? courseName.get(c.courseId) : undefined} />
            ))}
          </div>
        )}
      </section>
    </>
  );
}
