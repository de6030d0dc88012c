'use client';
import { useMemo, useState } from 'react';
import type { RleOrder, SubmissionDto } from '@holdout/contracts';
import { csvIds, imageId, type PublicImage } from '@/lib/predictions';
import { ImageCanvas } from './ImageCanvas';
import { PredictionPicker, type Predictions } from './PredictionPicker';
import { SlideViewer } from './SlideViewer';
import styles from './viewer.module.css';

const TIFF = /\.tiff?$/i;
/** Ids listed beside the image; a longer file is summarised. */
const MAX_LISTED = 500;

/**
 * Overlays masks (of a past submission, a kernel's output, the training masks or a local file) on
 * one of the competition's public images, decoded in the browser. Only the public data files the
 * API listed are ever requested: an id of the predictions that names no public image is listed as
 * such and never fetched.
 */
export function MaskViewer({ slug, images, order, submissions, hasTrainMasks }: { slug: string; images: PublicImage[]; order: RleOrder; submissions: SubmissionDto[]; hasTrainMasks: boolean }) {
  const [image, setImage] = useState(images[0]!.path);
  const [predictions, setPredictions] = useState<Predictions | null>(null);
  const [opacity, setOpacity] = useState(0.45);
  const byId = useMemo(() => new Map(images.map((i) => [i.id, i])), [images]);
  const ids = useMemo(() => (predictions ? csvIds(predictions.csv) : []), [predictions]);
  const publicCount = ids.filter((id) => byId.has(id)).length;
  const tests = images.filter((i) => i.split === 'test');
  const trains = images.filter((i) => i.split === 'train');

  const showPredictions = (p: Predictions | null) => {
    setPredictions(p);
    if (!p) return;
    // Start on an image the predictions cover: the first of theirs that is public.
    const theirs = csvIds(p.csv);
    if (theirs.includes(imageId(image))) return;
    const first = theirs.map((id) => byId.get(id)).find(Boolean);
    if (first) setImage(first.path);
  };

  const csv = predictions?.csv ?? null;
  return (
    <div className={styles.layout}>
      <div className={styles.stage}>
        {TIFF.test(image) ? (
          <SlideViewer key={image} slug={slug} image={image} csv={csv} order={order} opacity={opacity} />
        ) : (
          <ImageCanvas key={image} slug={slug} image={image} csv={csv} order={order} opacity={opacity} />
        )}
      </div>
      <div className={styles.controls} role="group" aria-label="What to show">
        <div className="field">
          <label htmlFor="viewer-image">Image</label>
          <select id="viewer-image" value={image} onChange={(e) => setImage(e.target.value)}>
            {tests.length > 0 && (
              <optgroup label="Test images (public)">
                {tests.map((i) => (
                  <option key={i.path} value={i.path}>
                    {i.path}
                  </option>
                ))}
              </optgroup>
            )}
            {trains.length > 0 && (
              <optgroup label="Training images">
                {trains.map((i) => (
                  <option key={i.path} value={i.path}>
                    {i.path}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        </div>
        <PredictionPicker slug={slug} submissions={submissions} hasTrainMasks={hasTrainMasks} onChange={showPredictions} />
        <div className="field">
          <label htmlFor="viewer-opacity">Mask opacity</label>
          <input id="viewer-opacity" type="range" min={0.1} max={0.9} step={0.05} value={opacity} onChange={(e) => setOpacity(Number(e.target.value))} />
        </div>
        {predictions && (
          <section aria-labelledby="viewer-ids-h" data-testid="viewer-ids">
            <h3 id="viewer-ids-h" style={{ fontSize: '1rem', margin: '0 0 0.25rem' }}>
              Images in these predictions
            </h3>
            <p className="muted small" style={{ margin: '0 0 0.4rem' }}>
              {ids.length} image{ids.length === 1 ? '' : 's'}, {publicCount} of them public
              {publicCount < ids.length ? ': the others are hidden test data, scored but never shown.' : '.'}
            </p>
            {ids.length > 0 && (
              <ul className={styles.ids}>
                {ids.slice(0, MAX_LISTED).map((id) => {
                  const img = byId.get(id);
                  return (
                    <li key={id} data-public={img ? 'yes' : 'no'}>
                      {img ? (
                        <button type="button" className="linklike mono small" aria-current={img.path === image} onClick={() => setImage(img.path)}>
                          {id}
                        </button>
                      ) : (
                        <span className="mono small">{id}</span>
                      )}
                      <span className="muted small">{img ? `${img.split} image` : 'not a public image'}</span>
                    </li>
                  );
                })}
                {ids.length > MAX_LISTED && <li className="muted small">… and {ids.length - MAX_LISTED} more</li>}
              </ul>
            )}
          </section>
        )}
        <p className="muted small">
          Masks are decoded in your browser with this competition&apos;s {order === 'column' ? 'column-major' : 'row-major'} pixel order. Whole-slide images are
          shown from tiles: drag or use the arrow keys to pan, the wheel or +/− to zoom.
        </p>
      </div>
    </div>
  );
}
