import type { Metadata } from 'next';
import type { DataFileDto } from '@holdout/contracts';
import { apiOrNull, apiText } from '@/lib/api';
import { getCompetition } from '@/lib/competition';
import { encodePath, formatBytes } from '@/lib/format';
import { StarterCode } from '../_components/StarterCode';
import { SubmitForm } from '../_components/SubmitForm';

export const metadata: Metadata = { title: 'Code' };

export default async function CodePage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const c = await getCompetition(slug);
  const files = (await apiOrNull<DataFileDto[]>(`/competitions/${encodeURIComponent(slug)}/data`)) ?? [];
  // The bundle's starter kernel only (`starter/`): other scripts in the data, such as a model's
  // training script under `baseline/`, are not kernels to submit.
  const starters = files.filter((f) => /^starter\/[^/]+\.(py|ipynb)$/i.test(f.name));
  // The script is shown as it is (the notebook, its twin, is listed); a lone notebook as its code
  // cells. Either submits as the original file.
  const py = starters.filter((f) => f.name.endsWith('.py'));
  const shown = await Promise.all(
    (py.length > 0 ? py : starters).map(async (f) => {
      const text = (await apiText(`/competitions/${encodeURIComponent(slug)}/data/${encodePath(f.name)}`)) ?? '';
      return { name: f.name, code: f.name.endsWith('.ipynb') ? notebookCode(text) : text };
    }),
  );
  const disabledReason = c.state === 'upcoming' ? 'The competition has not opened yet.' : !c.viewer ? 'Join the course to submit.' : null;
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
          <>
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
            {shown
              .filter((s) => s.code)
              .map((s) => (
                <StarterCode key={s.name} slug={slug} name={s.name} code={s.code} canSubmit={!disabledReason && c.submissionKinds.includes('kernel')} />
              ))}
          </>
        )}
      </section>
      <section aria-labelledby="upload-h">
        <h2 id="upload-h">Upload a kernel</h2>
        <SubmitForm
          slug={slug}
          kinds={['kernel']}
          disabledReason={disabledReason}
        />
      </section>
    </div>
  );
}

/** The code cells of a notebook, separated as a script would be (`# %%`); '' when it is not one. */
function notebookCode(json: string): string {
  try {
    const nb = JSON.parse(json) as { cells?: { cell_type?: string; source?: string | string[] }[] };
    return (nb.cells ?? [])
      .filter((c) => c.cell_type === 'code')
      .map((c) => (Array.isArray(c.source) ? c.source.join('') : (c.source ?? '')))
      .join('\n\n# %%\n');
  } catch {
    return '';
  }
}
