import type { Metadata } from 'next';
import { getCompetition } from '@/lib/competition';
import { kindsInWords } from '@/lib/format';
import { Markdown, leadingHeading } from '../../../_components/Markdown';
import { ModelRequirements } from './_components/ModelRequirements';

type Props = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const c = await getCompetition((await params).slug);
  return { title: c.title };
}

export default async function OverviewPage({ params }: Props) {
  const c = await getCompetition((await params).slug);
  return (
    <div className="stack">
      <section className="card" aria-labelledby="overview-h">
        <h2 id="overview-h" className="visually-hidden">
          Overview
        </h2>
        <Markdown source={c.pages.overview || '_No description yet._'} />
      </section>
      {c.pages.evaluation && (
        <section className="card" aria-labelledby="eval-h">
          <h2 id="eval-h" className={leadingHeading(c.pages.evaluation) ? 'visually-hidden' : undefined}>
            Evaluation
          </h2>
          <Markdown source={c.pages.evaluation} />
        </section>
      )}
      <section className="card" aria-labelledby="limits-h">
        <h2 id="limits-h">Limits</h2>
        <ul>
          <li>{c.limits.dailySubmissions} submissions a day (failed validations are not counted)</li>
          <li>{c.limits.finalSelections} final submissions count for the private leaderboard</li>
          <li>Submission kinds: {kindsInWords(c.submissionKinds)}</li>
          <li>{c.limits.maxTeamSize === 1 ? 'Everyone competes alone (teams of one)' : `Teams of up to ${c.limits.maxTeamSize} members, formed on the Team tab`}</li>
        </ul>
      </section>
      {c.model && (
        <section className="card" aria-labelledby="model-h" data-testid="model-pipeline">
          <h2 id="model-h">Model submissions</h2>
          <p>
            The platform runs a submitted ONNX model over every test image through this pipeline; only its scores come
            back.
          </p>
          <ModelRequirements model={c.model} />
        </section>
      )}
      {c.pages.rules && (
        <section className="card" aria-labelledby="rules-h">
          <h2 id="rules-h" className={leadingHeading(c.pages.rules) ? 'visually-hidden' : undefined}>
            Rules
          </h2>
          <Markdown source={c.pages.rules} />
        </section>
      )}
    </div>
  );
}
