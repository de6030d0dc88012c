import type { Metadata } from 'next';
import Link from 'next/link';
import type { BundleDto, CompetitionSummaryDto } from '@holdout/contracts';
import { apiOrNull, requireMe } from '@/lib/api';
import { formatDate } from '@/lib/format';
import { StateBadge } from '../../_components/StateBadge';
import { CreateCourseForm } from './_components/CreateCourseForm';
import { CreateCompetitionForm } from './_components/CreateCompetitionForm';
import { CourseCreators } from './_components/CourseCreators';

export const metadata: Metadata = { title: 'Instructor console' };


export default async function ConsolePage() {
  const me = await requireMe('/console');
  const taught = me.courses.filter((c) => c.role === 'instructor' || c.role === 'ta');
  const competitions = (await apiOrNull<CompetitionSummaryDto[]>('/competitions')) ?? [];
  const taughtIds = new Set(taught.map((c) => c.id));
  const mine = competitions.filter((c) => me.isAdmin || (c.courseId && taughtIds.has(c.courseId)));
  const courseName = new Map(me.courses.map((c) => [c.id, c.name]));
  // The bundles the API serves (site admins and instructors); none for others.
  const bundles = taught.length > 0 || me.isAdmin ? ((await apiOrNull<BundleDto[]>('/bundles')) ?? []) : [];
  return (
    <>
      <h1>Instructor console</h1>
      <section aria-labelledby="courses-h" className="card">
        <h2 id="courses-h">Courses you teach</h2>
        {taught.length === 0 ? (
          <p className="muted">{me.canCreateCourses ? 'None yet: create one below.' : 'None yet.'}</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Course</th>
                  <th scope="col">Your role</th>
                  <th scope="col">Join code</th>
                  <th scope="col">Audit log</th>
                </tr>
              </thead>
              <tbody>
                {taught.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <Link href={`/console/courses/${c.id}`}>{c.name}</Link>
                    </td>
                    <td>{c.role}</td>
                    <td>
                      <code data-testid="console-join-code">{c.joinCode ?? '—'}</code>
                    </td>
                    <td>
                      {c.role === 'instructor' || me.isAdmin ? (
                        <Link href={`/console/courses/${c.id}/audit`}>
                          Audit log<span className="visually-hidden"> of {c.name}</span>
                        </Link>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="comps-h" className="card">
        <h2 id="comps-h">Competitions</h2>
        {mine.length === 0 ? (
          <p className="muted">No competitions yet.</p>
        ) : (
          <div className="table-wrap">
            <table data-testid="console-competitions">
              <thead>
                <tr>
                  <th scope="col">Competition</th>
                  <th scope="col">Slug</th>
                  <th scope="col">Course</th>
                  <th scope="col">Phase</th>
                  <th scope="col">Activity</th>
                  <th scope="col">Closes (UTC)</th>
                </tr>
              </thead>
              <tbody>
                {mine.map((c) => (
                  <tr key={c.slug}>
                    <td>
                      <Link href={`/console/competitions/${c.slug}`}>{c.title}</Link>
                    </td>
                    <td>
                      <code>{c.slug}</code>
                    </td>
                    <td>{(c.courseId && courseName.get(c.courseId)) ?? '—'}</td>
                    <td>
                      <StateBadge state={c.state} revealed={c.revealed} />
                    </td>
                    <td className="small" data-testid="console-activity">
                      {c.activity ? activityText(c.activity) : '—'}
                    </td>
                    <td>{formatDate(c.closesAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <div className="grid" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(300px, 1fr))' }}>
        <section aria-labelledby="new-course-h" className="card">
          <h2 id="new-course-h">Create a course</h2>
          {me.canCreateCourses ? (
            <CreateCourseForm />
          ) : (
            <p className="muted" data-testid="course-creation-needs-approval">
              Creating a course needs approval from a site administrator: ask one to allow <strong>{me.email}</strong> to create courses.
            </p>
          )}
        </section>
        <section aria-labelledby="new-comp-h" className="card">
          <h2 id="new-comp-h">Create a competition</h2>
          {taught.length === 0 ? (
            <p className="muted">{me.canCreateCourses ? 'Create a course first.' : 'You teach no course yet.'}</p>
          ) : (
            <CreateCompetitionForm courses={taught.map((c) => ({ id: c.id, name: c.name }))} bundles={bundles} />
          )}
        </section>
      </div>
      {me.isAdmin && (
        <section aria-labelledby="creators-h" className="card">
          <h2 id="creators-h">Who may create courses</h2>
          <p className="muted small">
            Site admins and the accounts allowed here may open courses (and so upload competition bundles). Set <code>HOLDOUT_COURSE_CREATION=anyone</code> to let
            every account do so.
          </p>
          <CourseCreators />
        </section>
      )}
    </>
  );
}

const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** "2 teams · 5 submissions (1 in progress)". */
function activityText(a: { teams: number; submissions: number; unfinished: number }): string {
  return `${count(a.teams, 'team')} · ${count(a.submissions, 'submission')}${a.unfinished > 0 ? ` (${a.unfinished} in progress)` : ''}`;
}
