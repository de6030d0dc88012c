import type { Metadata } from 'next';
import type { DataFileDto } from '@holdout/contracts';
import { apiOrNull } from '@/lib/api';
import { getCompetition } from '@/lib/competition';
import { encodePath, formatBytes } from '@/lib/format';
import { SubmitForm } from '../_components/SubmitForm';

export const metadata: Metadata = { title: 'Code' };

export default async function CodePage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const c = await getCompetition(slug);
  const files = (await apiOrNull<DataFileDto[]>(`/competitions/${encodeURIComponent(slug)}/data`)) ?? [];
  const starters = files.filter((f) => /\.(py|ipynb)$/i.test(f.name));
  return (
    <div className="stack">
      <section className="card" aria-labelledby="starter-h">
        <h2 id="starter-h">Starter kernel</h2>
        <p>
          Kernels run in a sandbox with no network. The competition data is mounted read-only at{' '}
          <code>/kaggle/input/{slug}/</code> (the hidden test images in <code>test/</code>); write{' '}
          <code>/kaggle/working/submission.csv</code>.
        </p>
        {starters.length === 0 ? (
          <p className="muted">This competition ships no starter kernel.</p>
        ) : (
          <ul data-testid="starter-kernels">
            {starters.map((f) => (
              <li key={f.name}>
                <a href={`/api/competitions/${encodeURIComponent(slug)}/data/${encodePath(f.name)}`} download>
                  {f.name}
                </a>{' '}
                <span className="muted small">({formatBytes(f.size)})</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="upload-h">
        <h2 id="upload-h">Upload a kernel</h2>
        <SubmitForm
          slug={slug}
          kinds={['kernel']}
          disabledReason={c.state === 'upcoming' ? 'The competition has not opened yet.' : !c.viewer ? 'Join the course to submit.' : null}
        />
      </section>
    </div>
  );
}
