'use client';
import { useEffect, useRef, useState } from 'react';
import type { RleOrder } from '@holdout/contracts';
import { maskColour, paintRle, rowsFor } from '@/lib/mask';
import { SlideViewer } from './SlideViewer';

const TIFF = /\.tiff?$/i;

/**
 * Overlays the masks of a local submission file on one of the competition's public test images.
 * Everything happens in the browser; only public data files are ever fetched.
 */
export function MaskViewer({ slug, images, order }: { slug: string; images: string[]; order: RleOrder }) {
  const [image, setImage] = useState(images[0] ?? '');
  const [csv, setCsv] = useState<string | null>(null);
  const [zoom, setZoom] = useState(1);
  const [opacity, setOpacity] = useState(0.45);
  const [info, setInfo] = useState('');
  const [width, setWidth] = useState(0);
  const canvas = useRef<HTMLCanvasElement>(null);

  const slide = TIFF.test(image);

  useEffect(() => {
    if (!image || slide) return;
    const img = new Image();
    img.onload = () => {
      const c = canvas.current;
      if (!c) return;
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      setWidth((prev) => {
        // A new image starts fitted to about 900 px wide, in powers of two.
        if (prev !== img.naturalWidth) setZoom(Math.min(1, 2 ** Math.floor(Math.log2(900 / img.naturalWidth))));
        return img.naturalWidth;
      });
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      if (!csv) {
        setInfo(`${img.naturalWidth}×${img.naturalHeight}. Choose your submission file to overlay its masks.`);
        return;
      }
      const id = image.split('/').pop()!.replace(/\.[^.]+$/, '');
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
    img.onerror = () => setInfo('This image cannot be shown in the browser (whole-slide TIFFs need the tile viewer).');
    img.src = `/api/competitions/${encodeURIComponent(slug)}/data/${image.split('/').map(encodeURIComponent).join('/')}`;
  }, [image, slide, csv, order, opacity, slug]);

  return (
    <div className="stack">
      <div className="row">
        <div className="field" style={{ margin: 0 }}>
          <label htmlFor="viewer-image">Public test image</label>
          <select id="viewer-image" value={image} onChange={(e) => setImage(e.target.value)}>
            {images.map((i) => (
              <option key={i}>{i}</option>
            ))}
          </select>
        </div>
        <div className="field" style={{ margin: 0 }}>
          <label htmlFor="viewer-csv">Your submission file</label>
          <input id="viewer-csv" type="file" accept=".csv,text/csv" onChange={async (e) => setCsv((await e.target.files?.[0]?.text()) ?? null)} />
        </div>
        <div className="field" style={{ margin: 0 }}>
          <label htmlFor="viewer-opacity">Mask opacity</label>
          <input id="viewer-opacity" type="range" min={0.1} max={0.9} step={0.05} value={opacity} onChange={(e) => setOpacity(Number(e.target.value))} />
        </div>
        {!slide && (
        <div className="row" role="group" aria-label="Zoom">
          <button type="button" className="btn btn--small" onClick={() => setZoom((z) => Math.max(0.125, z / 2))}>
            Zoom out
          </button>
          <span className="small mono" aria-live="polite">
            {Math.round(zoom * 100)}%
          </span>
          <button type="button" className="btn btn--small" onClick={() => setZoom((z) => Math.min(8, z * 2))}>
            Zoom in
          </button>
        </div>
        )}
      </div>
      {slide ? (
        <SlideViewer key={image} slug={slug} image={image} csv={csv} order={order} opacity={opacity} />
      ) : (
      <>
      <p className="muted small" aria-live="polite">
        {info}
      </p>
      <div style={{ overflow: 'auto', maxHeight: '70vh', border: '1px solid var(--border)', borderRadius: 'var(--radius)' }} tabIndex={0} aria-label="Image with mask overlay (scrollable)">
        <canvas ref={canvas} style={{ width: width ? `${width * zoom}px` : undefined, imageRendering: zoom > 1 ? 'pixelated' : 'auto', display: 'block', maxWidth: 'none' }} data-testid="viewer-canvas" />
      </div>
      </>
      )}
    </div>
  );
}
