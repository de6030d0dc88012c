import Link from 'next/link';
import type { CompetitionSummaryDto } from '@holdout/contracts';
import { formatDate, kindsInWords } from '@/lib/format';
import { StateBadge } from './StateBadge';

const metricName = { dice: 'Mean Dice', 'instance-map': 'Mean AP @ IoU 0.50–0.95' } as const;

export function CompetitionCard({ c, course }: { c: CompetitionSummaryDto; course?: string }) {
  return (
    <article className="card" data-testid="competition-card">
      <div className="row">
        <h3 style={{ margin: 0 }}>
          <Link href={`/competitions/${c.slug}`}>{c.title}</Link>
        </h3>
        <span className="spacer" />
        <StateBadge state={c.state} revealed={c.revealed} />
      </div>
      <p className="muted small" style={{ margin: '0.4rem 0 0' }}>
        {course && <>{course} · </>}
        {metricName[c.metric]} · {kindsInWords(c.submissionKinds)} submissions
        <br />
        {c.state === 'upcoming' ? `Opens ${formatDate(c.opensAt)}` : c.state === 'open' ? `Closes ${formatDate(c.closesAt)}` : `Closed ${formatDate(c.closesAt)}`}
      </p>
    </article>
  );
}
