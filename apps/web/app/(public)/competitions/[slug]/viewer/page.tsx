import type { Metadata } from 'next';
import type { DataFileDto } from '@holdout/contracts';
import { apiOrNull } from '@/lib/api';
import { getCompetition } from '@/lib/competition';
import { MaskViewer } from './_components/MaskViewer';

export const metadata: Metadata = { title: 'Mask viewer' };

/** Browser images, and whole-slide TIFFs (shown from the API's tiles). */
const IMAGE = /\.(png|jpe?g|webp|tiff?)$/i;

export default async function ViewerPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const c = await getCompetition(slug);
  const files = (await apiOrNull<DataFileDto[]>(`/competitions/${encodeURIComponent(slug)}/data`)) ?? [];
  // Only the public data is listed by the API; of it, the test images.
  const images = files.map((f) => f.name).filter((n) => /(^|\/)test\//.test(n) && IMAGE.test(n));
  return (
    <section aria-labelledby="viewer-h">
      <h2 id="viewer-h">Mask viewer</h2>
      <p className="muted">
        Overlay the masks of your submission file on a public test image, decoded in your browser with this
        competition&apos;s {c.rleOrder === 'column' ? 'column-major' : 'row-major'} pixel order. Whole-slide images are
        shown from tiles: drag or use the arrow keys to pan, the wheel or +/− to zoom.
      </p>
      {images.length === 0 ? <p className="muted">This competition has no public test images the browser can show.</p> : <MaskViewer slug={slug} images={images} order={c.rleOrder} />}
    </section>
  );
}
