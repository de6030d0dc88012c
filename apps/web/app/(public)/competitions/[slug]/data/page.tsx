import type { Metadata } from 'next';
import type { DataFileDto } from '@holdout/contracts';
import { api } from '@/lib/api';
import { getCompetition } from '@/lib/competition';
import { encodePath, formatBytes } from '@/lib/format';
import { Markdown } from '../../../../_components/Markdown';
import { ErrorNote } from '../../../../_components/ErrorNote';
import { RleExample } from '../_components/RleExample';

export const metadata: Metadata = { title: 'Data' };

export default async function DataPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const c = await getCompetition(slug);
  let files: DataFileDto[] = [];
  let error: unknown = null;
  try {
    files = await api<DataFileDto[]>(`/competitions/${encodeURIComponent(slug)}/data`);
  } catch (e) {
    error = e;
  }
  const total = files.reduce((s, f) => s + f.size, 0);
  return (
    <div className="stack">
      {c.pages.data && (
        <section className="card">
          <Markdown source={c.pages.data} />
        </section>
      )}
      <section className="card" aria-labelledby="files-h">
        <div className="row">
          <h2 id="files-h" style={{ margin: 0 }}>
            Files
          </h2>
          <span className="muted small">
            {files.length} files · {formatBytes(total)}
          </span>
          {files.length > 0 && (
            <>
              <span className="spacer" />
              <a className="btn btn--small" href={`/api/competitions/${encodeURIComponent(slug)}/data.zip`} download data-testid="download-all">
                Download all (.zip)
              </a>
            </>
          )}
        </div>
        {c.dataReady === false ? (
          <p className="alert alert--info" role="status" style={{ marginTop: '0.8rem' }}>
            The data is still being prepared. Reload this page in a minute.
          </p>
        ) : error ? (
          <ErrorNote error={error} what="the data files" />
        ) : (
          <div className="table-wrap" style={{ marginTop: '0.8rem', maxHeight: '28rem', overflowY: 'auto' }}>
            <table data-testid="data-files">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col" className="num">
                    Size
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Download</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {files.map((f) => (
                  <tr key={f.name}>
                    <td className="mono">{f.name}</td>
                    <td className="num">{formatBytes(f.size)}</td>
                    <td>
                      <a href={`/api/competitions/${encodeURIComponent(slug)}/data/${encodePath(f.name)}`} download>
                        Download<span className="visually-hidden"> {f.name}</span>
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="rle-h">
        <h2 id="rle-h">Submission format: run-length encoding</h2>
        <p>
          Masks are written as <code>start length start length …</code>: 1-indexed, space separated, runs sorted and not
          overlapping. In this competition pixels are numbered{' '}
          <strong>{c.rleOrder === 'column' ? 'top to bottom, then left to right' : 'left to right, then top to bottom'}</strong>.
          {c.metric === 'dice'
            ? ' Write one row per test image (an empty prediction means an empty mask).'
            : ' Write one row per predicted instance; an image with no prediction appears once with an empty prediction. Instances must not overlap.'}
        </p>
        <RleExample order={c.rleOrder} />
      </section>
    </div>
  );
}
