import type { Metadata } from 'next';
import type { DataFileDto, SubmissionDto } from '@holdout/contracts';
import { api, apiOrNull } from '@/lib/api';
import { getCompetition } from '@/lib/competition';
import { publicImages } from '@/lib/predictions';
import { ErrorNote } from '../../../../_components/ErrorNote';
import { MaskViewer } from './_components/MaskViewer';

export const metadata: Metadata = { title: 'Mask viewer' };

export default async function ViewerPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const c = await getCompetition(slug);
  const path = `/competitions/${encodeURIComponent(slug)}`;
  let files: DataFileDto[] = [];
  let error: unknown = null;
  if (c.dataReady !== false) {
    try {
      // The API lists the public data only: the viewer never names any other file.
      files = await api<DataFileDto[]>(`${path}/data`);
    } catch (e) {
      error = e;
    }
  }
  // The team's own submissions (none for staff without a team); their files are fetched when chosen.
  // Should the list fail, the viewer still works with a file from disk.
  const submissions = ((await apiOrNull<SubmissionDto[]>(`${path}/submissions`).catch(() => null)) ?? []).filter((s) => s.kind === 'file' || s.kind === 'kernel');
  const images = publicImages(files.map((f) => f.name));
  const hasTrainMasks = files.some((f) => f.name === 'train.csv');
  return (
    <section aria-labelledby="viewer-h">
      <h2 id="viewer-h" className="visually-hidden">
        Mask viewer
      </h2>
      {c.dataReady === false ? (
        <p className="alert alert--info" role="status">
          The data is still being prepared. Reload this page in a minute.
        </p>
      ) : error ? (
        <ErrorNote error={error} what="the data files" />
      ) : images.length === 0 ? (
        <p className="muted">This competition has no public images the browser can show.</p>
      ) : (
        <MaskViewer slug={slug} images={images} order={c.rleOrder} submissions={submissions} hasTrainMasks={hasTrainMasks} />
      )}
    </section>
  );
}
