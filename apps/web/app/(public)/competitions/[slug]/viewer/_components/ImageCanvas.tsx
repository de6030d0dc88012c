'use client';
import { useEffect, useRef, useState } from 'react';
import type { RleOrder } from '@holdout/contracts';
import { encodePath } from '@/lib/format';
import { maskColour, paintRle, rowsFor } from '@/lib/mask';
import { imageId } from '@/lib/predictions';
import { useFitHeight } from './fit-height';
import styles from './viewer.module.css';

/** A public image the browser can decode (PNG, JPEG, WebP), drawn whole with the masks painted over it. */
export function ImageCanvas({ slug, image, csv, order, opacity }: { slug: string; image: string; csv: string | null; order: RleOrder; opacity: number }) {
  const [zoom, setZoom] = useState(1);
  const [info, setInfo] = useState('');
  const [width, setWidth] = useState(0);
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const height = useFitHeight(box);

  useEffect(() => {
    const img = new Image();
    img.onload = () => {
      const c = canvas.current;
      if (!c) return;
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      setWidth((prev) => {
        // A new image starts fitted into its box, in powers of two.
        if (prev !== img.naturalWidth) {
          const fit = Math.min((box.current?.clientWidth ?? 900) / img.naturalWidth, height / img.naturalHeight);
          setZoom(Math.min(1, 2 ** Math.floor(Math.log2(fit))));
        }
        return img.naturalWidth;
      });
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      if (!csv) {
        setInfo(`${img.naturalWidth}×${img.naturalHeight}. Choose predictions to overlay their masks.`);
        return;
      }
      const id = imageId(image);
      const rles = rowsFor(csv, id).filter(Boolean);
      const label = new Uint16Array(c.width * c.height);
      paintRle(label, rles, c.width, c.height, order);
      const data = ctx.getImageData(0, 0, c.width, c.height);
      let on = 0;
      for (let i = 0; i < label.length; i++) {
        const k = label[i]!;
        if (!k) continue;
        on++;
        const col = maskColour(k);
        for (let ch = 0; ch < 3; ch++) data.data[i * 4 + ch] = Math.round(data.data[i * 4 + ch]! * (1 - opacity) + col[ch]! * opacity);
      }
      ctx.putImageData(data, 0, 0);
      setInfo(`${img.naturalWidth}×${img.naturalHeight} · ${rles.length} mask${rles.length === 1 ? '' : 's'} for ${id} · ${((100 * on) / label.length).toFixed(2)}% of pixels`);
    };
    img.onerror = () => setInfo('This image cannot be shown in the browser.');
    img.src = `/api/competitions/${encodeURIComponent(slug)}/data/${encodePath(image)}`;
    // `height` is read once per image, for its first fit; a resize does not refit.
  }, [image, csv, order, opacity, slug]);

  return (
    <div>
      <div className={styles.toolbar}>
        <span className={styles.zoom} role="group" aria-label="Zoom">
          <button type="button" className="btn btn--small" onClick={() => setZoom((z) => Math.max(0.125, z / 2))}>
            Zoom out
          </button>
          <span className="small mono" aria-live="polite">
            {Math.round(zoom * 100)}%
          </span>
          <button type="button" className="btn btn--small" onClick={() => setZoom((z) => Math.min(8, z * 2))}>
            Zoom in
          </button>
        </span>
        <span className={`muted small ${styles.status}`} aria-live="polite" title={info} data-testid="viewer-status">
          {info}
        </span>
      </div>
      <div ref={box} style={{ overflow: 'auto', maxHeight: `${height}px`, border: '1px solid var(--border)', borderRadius: 'var(--radius)' }} tabIndex={0} role="region" aria-label={`Image ${image} with mask overlay (scrollable)`}>
        <canvas ref={canvas} style={{ width: width ? `${width * zoom}px` : undefined, imageRendering: zoom > 1 ? 'pixelated' : 'auto', display: 'block', maxWidth: 'none' }} data-testid="viewer-canvas" />
      </div>
    </div>
  );
}
