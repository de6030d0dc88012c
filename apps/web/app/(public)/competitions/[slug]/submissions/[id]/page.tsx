import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import type { KernelRunDto, SubmissionDetailDto } from '@holdout/contracts';
import { apiOrNull, apiText, requireMe } from '@/lib/api';
import { getCompetition } from '@/lib/competition';
import { formatDate, formatScore, KIND_LABELS } from '@/lib/format';
import { latestOfEachPhase, type RunView } from '@/lib/runs';
import { KindBadge } from '../../../../../_components/StateBadge';
import { LiveSubmission } from '../../_components/LiveSubmission';

export const metadata: Metadata = { title: 'Submission' };

export default async function SubmissionPage({ params }: { params: Promise<{ slug: string; id: string }> }) {
  const { slug, id } = await params;
  await requireMe(`/competitions/${slug}/submissions/${id}`);
  const c = await getCompetition(slug);
  const s = await apiOrNull<SubmissionDetailDto>(`/submissions/${encodeURIComponent(id)}`);
  if (!s || s.competitionSlug !== slug) notFound();
  const log = s.kind === 'kernel' ? '' : ((await apiText(`/submissions/${encodeURIComponent(id)}/log`)) ?? '');
  const runs = s.kind === 'kernel' ? await kernelRuns(id) : [];
  const perImage = Object.entries(s.perImagePublic ?? {}).sort((a, b) => a[1] - b[1]);
  return (
    <div className="stack">
      <p>
        <Link href={`/competitions/${slug}/submissions`}>← All my submissions</Link>
      </p>
      <h2>
        {s.fileName ?? KIND_LABELS[s.kind]}{' '}
        <KindBadge kind={s.kind} />{' '}
        <span className="muted small">by {s.teamName}, {formatDate(s.createdAt)}</span>
      </h2>
      {s.description && <p>{s.description}</p>}
      {s.disqualified && (
        <p className="alert alert--error" data-testid="submission-disqualified">
          Disqualified: {s.disqualified.reason} <span className="small">({formatDate(s.disqualified.at)}; it is never ranked on the leaderboards)</span>
        </p>
      )}
      {/* Test images are hidden (a second run over them) where the bundle cannot take prediction files. */}
      <LiveSubmission initial={s} initialLog={log} initialRuns={runs} revealed={c.revealed} hiddenRun={!(c.availableKinds ?? c.submissionKinds).includes('file')}
        canCancel={c.viewer?.role !== 'ta'}
      />
      {s.status === 'scored' && s.perImagePublic === null && (
        <p className="muted small" data-testid="per-image-hidden">
          Per-image scores are shown after the close in this competition: before it they would tell which test images are
          on the public leaderboard.
        </p>
      )}
      {perImage.length > 0 && (
        <section className="card" aria-labelledby="per-image-h">
          <h2 id="per-image-h">Per-image public scores</h2>
          <p className="muted small">Worst first: the images to look at.</p>
          <div className="table-wrap" style={{ maxHeight: '24rem', overflowY: 'auto' }}>
            <table data-testid="per-image">
              <thead>
                <tr>
                  <th scope="col">Image</th>
                  <th scope="col" className="num">
                    Score
                  </th>
                </tr>
              </thead>
              <tbody>
                {perImage.map(([img, v]) => (
                  <tr key={img}>
                    <td className="mono">{img}</td>
                    <td className="num">{formatScore(v)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}

/** A kernel's runs with the logs the viewer may read (of the latest attempt of each phase: `?run=` names a phase). */
async function kernelRuns(id: string): Promise<RunView[]> {
  const runs = (await apiOrNull<KernelRunDto[]>(`/submissions/${encodeURIComponent(id)}/runs`)) ?? [];
  const latest = latestOfEachPhase(runs);
  return Promise.all(
    runs.map(async (r) => ({
      ...r,
      log: r.logVisible && latest.has(r) ? ((await apiText(`/submissions/${encodeURIComponent(id)}/log?run=${r.phase}`)) ?? '') : null,
    })),
  );
}
