import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { apiOrNull, requireMe } from '@/lib/api';
import { Roster, type MemberRow } from '../../_components/Roster';

export const metadata: Metadata = { title: 'Course roster' };

export default async function CoursePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const me = await requireMe(`/console/courses/${id}`);
  const course = me.courses.find((c) => c.id === id);
  if (!course || (course.role === 'student' && !me.isAdmin)) notFound();
  const members = await apiOrNull<MemberRow[]>(`/courses/${encodeURIComponent(id)}/members`);
  return (
    <>
      <p>
        <Link href="/console">← Console</Link>
      </p>
      <div className="page-head">
        <h1>{course.name}</h1>
        {course.joinCode && (
          <span>
            Join code <code>{course.joinCode}</code>
          </span>
        )}
        <span className="spacer" />
        {(course.role === 'instructor' || me.isAdmin) && <Link href={`/console/courses/${id}/audit`}>Audit log</Link>}
      </div>
      <section aria-labelledby="roster-h">
        <h2 id="roster-h">Roster</h2>
        {members ? (
          <Roster courseId={id} members={members} canEdit={course.role === 'instructor' || me.isAdmin} />
        ) : (
          <p className="muted">The roster is not available from this server.</p>
        )}
      </section>
    </>
  );
}
