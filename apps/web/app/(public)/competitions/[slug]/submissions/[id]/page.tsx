import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import type { SubmissionDetailDto } from '@holdout/contracts';
import { apiOrNull, apiText, requireMe } from '@/lib/api';
import { getCompetition } from '@/lib/competition';
import { formatDate, formatScore } from '@/lib/format';
import { LiveSubmission } from '../../_components/LiveSubmission';

export const metadata: Metadata = { title: 'Submission' };

export default async function SubmissionPage({ params }: { params: Promise<{ slug: string; id: string }> }) {
  const { slug, id } = await params;
  await requireMe(`/competitions/${slug}/submissions/${id}`);
  const c = await getCompetition(slug);
  const s = await apiOrNull<SubmissionDetailDto>(`/submissions/${encodeURIComponent(id)}`);
  if (!s || s.competitionSlug !== slug) notFound();
  const log = (await apiText(`/submissions/${encodeURIComponent(id)}/log`)) ?? '';
  const perImage = Object.entries(s.perImagePublic ?? {}).sort((a, b) => a[1] - b[1]);
  return (
    <div className="stack">
      <p>
        <Link href={`/competitions/${slug}/submissions`}>← All my submissions</Link>
      </p>
      <h2>
        {s.fileName ?? s.kind} <span className="muted small">by {s.teamName}, {formatDate(s.createdAt)}</span>
      </h2>
      {s.description && <p>{s.description}</p>}
      <LiveSubmission initial={s} initialLog={log} revealed={c.revealed} />
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
