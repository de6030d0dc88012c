import type { Metadata } from 'next';
import type { SubmissionDto } from '@holdout/contracts';
import { api, requireMe } from '@/lib/api';
import { getCompetition } from '@/lib/competition';
import { ErrorNote } from '../../../../_components/ErrorNote';
import { SubmissionsTable } from '../_components/SubmissionsTable';

export const metadata: Metadata = { title: 'My submissions' };

export default async function SubmissionsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  await requireMe(`/competitions/${slug}/submissions`);
  const c = await getCompetition(slug);
  let subs: SubmissionDto[] = [];
  let error: unknown = null;
  try {
    subs = await api<SubmissionDto[]>(`/competitions/${encodeURIComponent(slug)}/submissions`);
  } catch (e) {
    error = e;
  }
  subs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return error ? (
    <ErrorNote error={error} what="your submissions" />
  ) : (
    <SubmissionsTable slug={slug} initial={subs} revealed={c.revealed} limit={c.limits.finalSelections} closed={c.state === 'closed'} />
  );
}
