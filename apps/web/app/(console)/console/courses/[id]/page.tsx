import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { apiOrNull, requireMe } from '@/lib/api';
import { JoinCode } from '../../_components/JoinCode';
import { KernelPolicyForm } from '../../_components/KernelPolicyForm';
import { Roster, type MemberRow } from '../../_components/Roster';
import { RosterImport } from '../../_components/RosterImport';

export const metadata: Metadata = { title: 'Course roster' };

export default async function CoursePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const me = await requireMe(`/console/courses/${id}`);
  const course = me.courses.find((c) => c.id === id);
  if (!course || (course.role === 'student' && !me.isAdmin)) notFound();
  // Only the course's instructors manage its join code, roster imports and removals (the API says so too).
  const instructor = course.role === 'instructor';
  const members = await apiOrNull<MemberRow[]>(`/courses/${encodeURIComponent(id)}/members`);
  const policy = instructor ? await apiOrNull<{ gpuHoursPerWeek: number | null; cpuFallback: boolean | null }>(`/courses/${encodeURIComponent(id)}/kernel-policy`) : null;
  return (
    <>
      <p>
        <Link href="/console">← Console</Link>
      </p>
      <div className="page-head">
        <h1>{course.name}</h1>
        {course.joinCode && !instructor && (
          <span>
            Join code <code>{course.joinCode}</code>
          </span>
        )}
        <span className="spacer" />
        {(course.role === 'instructor' || me.isAdmin) && <Link href={`/console/courses/${id}/audit`}>Audit log</Link>}
      </div>
      {instructor && (
        <div className="grid" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(300px, 1fr))', alignItems: 'start' }}>
          <section className="card" aria-labelledby="join-code-h" data-testid="join-code-card">
            <h2 id="join-code-h">Join code</h2>
            <JoinCode courseId={id} code={course.joinCode ?? null} expiresAt={course.joinCodeExpiresAt ?? null} />
          </section>
          <section className="card" aria-labelledby="roster-import-h">
            <h2 id="roster-import-h">Import a roster</h2>
            <RosterImport courseId={id} />
          </section>
          {policy && (
            <section className="card" aria-labelledby="course-kernels-h">
              <h2 id="course-kernels-h">Kernel policy</h2>
              <p className="muted small">For every competition of the course that does not set its own.</p>
              <KernelPolicyForm path={`/courses/${encodeURIComponent(id)}/kernel-policy`} scope="course" current={policy} />
            </section>
          )}
        </div>
      )}
      <section aria-labelledby="roster-h">
        <h2 id="roster-h">Roster</h2>
        {members ? (
          <Roster courseId={id} members={members} canEdit={instructor || me.isAdmin} meId={me.id} />
        ) : (
          <p className="muted">The roster is not available from this server.</p>
        )}
      </section>
    </>
  );
}
