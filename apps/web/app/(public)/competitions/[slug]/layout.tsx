import Link from 'next/link';
import { getCompetition, isStaffOf } from '@/lib/competition';
import { formatDate } from '@/lib/format';
import { StateBadge } from '../../../_components/StateBadge';
import { Tabs } from './_components/Tabs';

export default async function CompetitionLayout({
  children,
  params,
}: {
  children: React.ReactNode;
  params: Promise<{ slug: string }>;
}) {
  const { slug } = await params;
  const c = await getCompetition(slug);
  const base = `/competitions/${slug}`;
  const tabs = [
    { href: base, label: 'Overview' },
    { href: `${base}/data`, label: 'Data' },
    ...(c.submissionKinds.includes('kernel') ? [{ href: `${base}/code`, label: 'Code' }] : []),
    { href: `${base}/submit`, label: 'Submit' },
    { href: `${base}/submissions`, label: 'My submissions' },
    { href: `${base}/team`, label: 'Team' },
    { href: `${base}/leaderboard`, label: 'Leaderboard' },
    { href: `${base}/viewer`, label: 'Viewer' },
    ...(c.revealed ? [{ href: `${base}/shakeup`, label: 'Shake-up' }] : []),
  ];
  return (
    <>
      <div className="page-head">
        <h1>{c.title}</h1>
        <StateBadge state={c.state} revealed={c.revealed} />
        <span className="spacer" />
        {isStaffOf(c) && (
          <Link className="btn btn--small" href={`/console/competitions/${slug}`}>
            Manage
          </Link>
        )}
      </div>
      <p className="muted small" style={{ marginTop: '-0.5rem' }}>
        Opens {formatDate(c.opensAt)} · closes {formatDate(c.closesAt)}
      </p>
      <Tabs tabs={tabs} />
      {children}
    </>
  );
}
