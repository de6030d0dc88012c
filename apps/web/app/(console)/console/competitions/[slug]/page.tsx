import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import type { CompetitionDto, SubmissionDto, TeamSummaryDto } from '@holdout/contracts';
import { apiOrNull, requireMe } from '@/lib/api';
import { isStaffOf } from '@/lib/competition';
import { failureTitle, formatBytes, formatDate, formatScore } from '@/lib/format';
import { StateBadge, StatusBadge } from '../../../../_components/StateBadge';
import { CompetitionAdmin } from '../../_components/CompetitionAdmin';
import { CompetitionPages } from '../../_components/CompetitionPages';
import { CompetitionSettings, type KernelRequest } from '../../_components/CompetitionSettings';
import { KernelPolicyForm } from '../../_components/KernelPolicyForm';
import { GradesExport } from '../../_components/GradesExport';
import { TeamsAdmin } from '../../_components/TeamsAdmin';
import { RunAgain } from '../../_components/RunAgain';

export const metadata: Metadata = { title: 'Manage competition' };

/** `GET /api/competitions/:slug/kernel-policy` (the fields this page shows). */
interface KernelPolicy {
  cpuFallback: boolean;
  gpuHoursPerWeek: number;
  request: KernelRequest;
  warnings: string[];
}

export default async function ManageCompetition({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const me = await requireMe(`/console/competitions/${slug}`);
  const c = await apiOrNull<CompetitionDto>(`/competitions/${encodeURIComponent(slug)}`);
  if (!c || (!isStaffOf(c) && !me.isAdmin)) notFound();
  // Staff see every team's submissions on the same route.
  const runs = (await apiOrNull<SubmissionDto[]>(`/competitions/${encodeURIComponent(slug)}/submissions?scope=all`)) ?? [];
  runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const teams = await apiOrNull<TeamSummaryDto[]>(`/competitions/${encodeURIComponent(slug)}/teams`);
  const instructor = c.viewer?.role === 'instructor' || me.isAdmin;
  const kernels = c.submissionKinds.includes('kernel') ? await apiOrNull<KernelPolicy>(`/competitions/${encodeURIComponent(slug)}/kernel-policy`) : null;
  return (
    <>
      <div className="page-head">
        <h1>{c.title}</h1>
        <StateBadge state={c.state} revealed={c.revealed} />
        <span className="spacer" />
        <Link href={`/competitions/${slug}`}>Participant view</Link>
        <Link href={`/competitions/${slug}/leaderboard`}>Leaderboard</Link>
        {c.revealed && <Link href={`/competitions/${slug}/shakeup`}>Shake-up</Link>}
        {instructor && c.courseId && <Link href={`/console/courses/${c.courseId}/audit?competition=${encodeURIComponent(slug)}`}>Audit log</Link>}
      </div>
      <CompetitionAdmin c={c} />
      <section className="card" aria-labelledby="teams-h">
        <h2 id="teams-h">Teams{teams ? ` (${teams.length})` : ''}</h2>
        <p className="muted small">
          A disqualified team is off both leaderboards and the shake-up; its members read the reason on the Team tab.
          {instructor ? '' : ' Instructors disqualify and reinstate teams.'}
        </p>
        {teams ? <TeamsAdmin slug={slug} teams={teams} canEdit={instructor} /> : <p className="muted">The teams are not available from this server.</p>}
      </section>
      <section className="card" aria-labelledby="grades-h">
        <h2 id="grades-h">Grades</h2>
        <GradesExport slug={slug} revealed={c.revealed} />
      </section>
      <CompetitionSettings c={c} kernel={kernels?.request ?? null} />
      <CompetitionPages c={c} />
      {kernels && (
        <section className="card" aria-labelledby="kernels-h" data-testid="kernel-request">
          <h2 id="kernels-h">Kernel runs</h2>
          <p>
            Each run asks for {kernels.request.cpus} CPUs, {formatBytes(kernels.request.memoryBytes)} of memory, {kernels.request.gpus} GPU
            {kernels.request.gpus === 1 ? '' : 's'}, at most {kernels.request.processes} processes and {Math.round(kernels.request.timeLimitSeconds / 360) / 10} h.
            {kernels.cpuFallback ? ' Kernels may run on the CPU when no GPU is free.' : ''}
          </p>
          {instructor && <KernelPolicyForm path={`/competitions/${encodeURIComponent(slug)}/kernel-policy`} scope="competition" current={{ gpuHoursPerWeek: kernels.gpuHoursPerWeek, cpuFallback: kernels.cpuFallback }} />}
          {kernels.warnings.length === 0 ? (
            <p className="muted small">A kernel worker online now gives all of it.</p>
          ) : (
            <div className="alert alert--warn" role="status">
              <ul>
                {kernels.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            </div>
          )}
        </section>
      )}
      <section className="card" aria-labelledby="runs-h">
        <h2 id="runs-h">Submissions ({runs.length})</h2>
        <p className="muted small">Every run the API shows to staff of this competition, newest first, with its log.</p>
        {runs.length === 0 ? (
          <p className="muted">No submissions yet.</p>
        ) : (
          <div className="table-wrap">
            <table data-testid="all-runs">
              <thead>
                <tr>
                  <th scope="col">Team</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Submitted</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Public
                  </th>
                  <th scope="col" className="num">
                    Private
                  </th>
                  <th scope="col">Log</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((s) => (
                  <tr key={s.id}>
                    <td>{s.teamName}</td>
                    <td>
                      {s.kind}
                      {s.selected && <span className="badge badge--info" style={{ marginLeft: '0.3rem' }}>final</span>}
                    </td>
                    <td className="small">{formatDate(s.createdAt)}</td>
                    <td>
                      <StatusBadge status={s.status} />
                      {s.runOnly && <span className="badge badge--info" style={{ marginLeft: '0.3rem' }}>run only</span>}
                      {s.disqualified && (
                        <div className="small" data-testid="run-disqualified">
                          Disqualified: {s.disqualified.reason}
                        </div>
                      )}
                      {s.error && <div className="small">{failureTitle(s.error.class, s)}: {s.error.message}</div>}
                      {s.kind === 'kernel' && s.error?.class === 'infrastructure' && c.viewer?.role === 'instructor' && <RunAgain submissionId={s.id} teamName={s.teamName} />}
                    </td>
                    <td className="num">{formatScore(s.publicScore)}</td>
                    <td className="num">{formatScore(s.privateScore)}</td>
                    <td>
                      <Link href={`/competitions/${slug}/submissions/${s.id}`}>
                        Details<span className="visually-hidden"> of {s.teamName}&apos;s submission</span>
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
