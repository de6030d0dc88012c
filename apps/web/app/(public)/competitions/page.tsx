import type { Metadata } from 'next';
import Link from 'next/link';
import type { CompetitionSummaryDto } from '@holdout/contracts';
import { api, getMe } from '@/lib/api';
import { CompetitionCard } from '../../_components/CompetitionCard';
import { ErrorNote } from '../../_components/ErrorNote';

export const metadata: Metadata = { title: 'Competitions' };

/** `?course=<id>`: the competitions of one of the viewer's courses (where joining a course leads). */
export default async function CompetitionsPage({ searchParams }: { searchParams: Promise<{ course?: string }> }) {
  const me = await getMe();
  const { course: courseId } = await searchParams;
  if (!me) {
    return (
      <>
        <h1>Competitions</h1>
        <p data-testid="sign-in-first">
          Competitions belong to courses. <Link href="/login?next=%2Fcompetitions">Sign in</Link> to see yours, or{' '}
          <Link href="/register?next=%2Fjoin">create an account</Link> and join a course with the code from your instructor.
        </p>
      </>
    );
  }
  let list: CompetitionSummaryDto[] = [];
  let error: unknown = null;
  try {
    list = await api<CompetitionSummaryDto[]>('/competitions');
  } catch (e) {
    error = e;
  }
  const courseName = new Map((me?.courses ?? []).map((c) => [c.id, c.name]));
  const course = courseId ? { id: courseId, name: courseName.get(courseId) } : null;
  if (course) list = list.filter((c) => c.courseId === course.id);
  const groups: [string, CompetitionSummaryDto[]][] = [
    ['Open', list.filter((c) => c.state === 'open')],
    ['Upcoming', list.filter((c) => c.state === 'upcoming')],
    ['Closed', list.filter((c) => c.state === 'closed')],
  ];
  return (
    <>
      <h1>{course ? `Competitions of ${course.name ?? 'a course'}` : 'Competitions'}</h1>
      {course && (
        <p data-testid="course-filter">
          {course.name ? 'Only this course\'s competitions are listed.' : 'You are not a member of this course: only its public competitions are listed.'}{' '}
          <Link href="/competitions">All your competitions</Link>
        </p>
      )}
      {error ? <ErrorNote error={error} what="competitions" /> : null}
      {!error && list.length === 0 && <p className="muted">{course?.name ? 'This course has no competitions you can see yet.' : 'No competitions you can see yet.'}</p>}
      {groups
        .filter(([, cs]) => cs.length > 0)
        .map(([label, cs]) => (
          <section key={label} aria-label={`${label} competitions`} style={{ marginBottom: '1.5rem' }}>
            <h2>{label}</h2>
            <div className="grid">
              {cs.map((c) => (
                <CompetitionCard key={c.slug} c={c} course={c.courseId ? courseName.get(c.courseId) : undefined} />
              ))}
            </div>
          </section>
        ))}
    </>
  );
}
