import type { Metadata } from 'next';
import type { SubmissionKind } from '@holdout/contracts';
import { getCompetition } from '@/lib/competition';
import { formatDate } from '@/lib/format';
import { SubmitForm } from '../_components/SubmitForm';

export const metadata: Metadata = { title: 'Submit' };

export default async function SubmitPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<{ kind?: string }>;
}) {
  const { slug } = await params;
  const { kind } = await searchParams;
  const c = await getCompetition(slug);
  const v = c.viewer;
  const left = v ? Math.max(0, c.limits.dailySubmissions - v.submissionsToday) : null;
  const disabledReason =
    c.dataReady === false
      ? 'The competition data is still being prepared; submissions open when it is ready.'
      : c.state === 'upcoming'
      ? `The competition opens ${formatDate(c.opensAt)}.`
      : !v
        ? 'Join the course to submit.'
        : null;
  const quotaSpent = v && left === 0 ? `You have used today's ${c.limits.dailySubmissions} submissions; the quota resets ${formatDate(v.quotaResetsAt)}.` : null;
  return (
    <>
      <p className="muted" data-testid="quota">
        {v && (
          <>
            {left} of {c.limits.dailySubmissions} submissions left today (resets {formatDate(v.quotaResetsAt)}).{' '}
          </>
        )}
        {c.state === 'closed' && 'The competition has closed: new submissions are scored as late and do not rank.'}
      </p>
      <SubmitForm slug={slug} kinds={c.submissionKinds} initialKind={kind as SubmissionKind | undefined} disabledReason={disabledReason} quotaSpent={quotaSpent} model={c.model} />
    </>
  );
}
