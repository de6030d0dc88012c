'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { RleOrder, TileInfoDto } from '@holdout/contracts';
import { maskColour, rowsFor } from '@/lib/mask';
import { useFitHeight } from './fit-height';
import { paintRleDownsampled } from './slide-mask';
import styles from './viewer.module.css';

/** The overlay is at most this many cells on its long side (a power-of-two downsampling). */
const MAX_OVERLAY = 4096;

interface View {
  /** Screen pixels per full-scale pixel. */
  scale: number;
  /** The full-scale point at the centre of the view. */
  cx: number;
  cy: number;
}

/**
 * A zoomable, pannable view of a whole-slide public test image, drawn from the API's tiles of
 * its pyramid (the level closest to the zoom), with the submission's masks, decoded in the
 * browser at a bounded resolution, drawn over it at the same zoom. Drag or use the arrow keys to
 * pan; the wheel, +/− or the buttons zoom; 0 fits the slide.
 */
export function SlideViewer({ slug, image, csv, order, opacity }: { slug: string; image: string; csv: string | null; order: RleOrder; opacity: number }) {
  const [info, setInfo] = useState<TileInfoDto | null>(null);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const [zoomText, setZoomText] = useState('');
  const canvas = useRef<HTMLCanvasElement>(null);
  const height = useFitHeight(canvas);
  const view = useRef<View>({ scale: 1, cx: 0, cy: 0 });
  const tiles = useRef(new Map<string, HTMLImageElement>());
  const overlay = useRef<HTMLCanvasElement | null>(null);
  const frame = useRef(0);
  const drawRef = useRef<() => void>(() => {});
  /** One redraw on the next frame, with the latest drawing state (stable, so views are not reset). */
  const schedule = useCallback(() => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => drawRef.current());
  }, []);
  const base = `/api/competitions/${encodeURIComponent(slug)}/tiles/${image.split('/').map(encodeURIComponent).join('/')}`;

  const draw = useCallback(() => {
    const c = canvas.current;
    if (!c || !info) return;
    const ctx = c.getContext('2d')!;
    const { scale, cx, cy } = view.current;
    const W = c.width;
    const H = c.height;
    ctx.clearRect(0, 0, W, H);
    // The coarsest level that still has at least one level pixel per screen pixel.
    const level = Math.max(0, Math.min(info.levels.length - 1, Math.floor(Math.log2(1 / scale))));
    const lv = info.levels[level]!;
    const ds = info.width / lv.width; // full-scale pixels per level pixel
    const x0 = cx - W / (2 * scale);
    const y0 = cy - H / (2 * scale);
    const T = info.tileSize;
    const tx0 = Math.max(0, Math.floor(x0 / ds / T));
    const ty0 = Math.max(0, Math.floor(y0 / ds / T));
    const tx1 = Math.min(Math.ceil(lv.width / T) - 1, Math.floor((x0 + W / scale) / ds / T));
    const ty1 = Math.min(Math.ceil(lv.height / T) - 1, Math.floor((y0 + H / scale) / ds / T));
    ctx.imageSmoothingEnabled = scale < 1;
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        const key = `${level}/${tx}/${ty}`;
        let img = tiles.current.get(key);
        if (!img) {
          img = new Image();
          img.onload = () => schedule();
          img.alt = '';
          img.src = `${base}/${key}.jpg`;
          tiles.current.set(key, img);
        }
        if (!img.complete || !img.naturalWidth) continue;
        const sx = (tx * T * ds - x0) * scale;
        const sy = (ty * T * ds - y0) * scale;
        // Round outwards so neighbouring tiles leave no seams.
        ctx.drawImage(img, Math.floor(sx), Math.floor(sy), Math.ceil(img.naturalWidth * ds * scale + 1), Math.ceil(img.naturalHeight * ds * scale + 1));
      }
    }
    if (overlay.current) {
      ctx.save();
      ctx.globalAlpha = opacity;
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(overlay.current, -x0 * scale, -y0 * scale, info.width * scale, info.height * scale);
      ctx.restore();
    }
    setZoomText(`${scale >= 0.1 ? Math.round(scale * 100) : (scale * 100).toFixed(1)}% · level ${level}`);
  }, [info, opacity, base, schedule]);

  useEffect(() => {
    drawRef.current = draw;
    schedule();
  }, [draw, schedule]);

  const fit = useCallback(() => {
    const c = canvas.current;
    if (!c || !info) return;
    view.current = { scale: Math.min(c.width / info.width, c.height / info.height), cx: info.width / 2, cy: info.height / 2 };
    schedule();
  }, [info, schedule]);

  const zoomBy = useCallback(
    (f: number, at?: { x: number; y: number }) => {
      const c = canvas.current;
      if (!c || !info) return;
      const v = view.current;
      const min = Math.min(c.width / info.width, c.height / info.height) / 2;
      const scale = Math.max(min, Math.min(4, v.scale * f));
      // Keep the full-scale point under `at` (screen px) where it is.
      const ax = at?.x ?? c.width / 2;
      const ay = at?.y ?? c.height / 2;
      const px = v.cx + (ax - c.width / 2) / v.scale;
      const py = v.cy + (ay - c.height / 2) / v.scale;
      view.current = { scale, cx: px - (ax - c.width / 2) / scale, cy: py - (ay - c.height / 2) / scale };
      schedule();
    },
    [info, schedule],
  );

  const pan = useCallback(
    (dx: number, dy: number) => {
      const v = view.current;
      view.current = { ...v, cx: v.cx - dx / v.scale, cy: v.cy - dy / v.scale };
      schedule();
    },
    [schedule],
  );

  // The slide's geometry; a new image starts afresh.
  useEffect(() => {
    let live = true;
    tiles.current = new Map();
    setInfo(null);
    setError('');
    fetch(`${base}/info`, { credentials: 'same-origin' })
      .then(async (r) => {
        if (!r.ok) throw new Error(`the slide could not be opened (${r.status})`);
        return (await r.json()) as TileInfoDto;
      })
      .then((i) => live && setInfo(i))
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [base]);

  // Canvas size follows its box.
  useEffect(() => {
    const c = canvas.current;
    if (!c || !info) return;
    const size = () => {
      c.width = Math.max(200, Math.floor(c.clientWidth));
      c.height = Math.max(200, Math.floor(c.clientHeight));
    };
    size();
    fit();
    const ro = new ResizeObserver(() => {
      size();
      schedule();
    });
    ro.observe(c);
    return () => ro.disconnect();
  }, [info, fit, schedule]);

  // The mask overlay, at a bounded resolution.
  useEffect(() => {
    overlay.current = null;
    if (!info) return;
    const id = image.split('/').pop()!.replace(/\.[^.]+$/, '');
    if (!csv) {
      setStatus(`${info.width}×${info.height} · ${info.levels.length} levels. Choose predictions to overlay their masks.`);
      schedule();
      return;
    }
    const rles = rowsFor(csv, id).filter(Boolean);
    let factor = 1;
    while (Math.max(info.width, info.height) / factor > MAX_OVERLAY) factor *= 2;
    const { label, w, h } = paintRleDownsampled(rles, info.width, info.height, order, factor);
    const o = document.createElement('canvas');
    o.width = w;
    o.height = h;
    const octx = o.getContext('2d')!;
    const data = octx.createImageData(w, h);
    let on = 0;
    for (let i = 0; i < label.length; i++) {
      const k = label[i]!;
      if (!k) continue;
      on++;
      const col = maskColour(k);
      data.data[i * 4] = col[0]!;
      data.data[i * 4 + 1] = col[1]!;
      data.data[i * 4 + 2] = col[2]!;
      data.data[i * 4 + 3] = 255;
    }
    octx.putImageData(data, 0, 0);
    overlay.current = o;
    setStatus(
      `${info.width}×${info.height} · ${rles.length} mask${rles.length === 1 ? '' : 's'} for ${id} · about ${((100 * on) / label.length).toFixed(2)}% of pixels` +
        (factor > 1 ? ` (overlay at 1/${factor} scale)` : ''),
    );
    schedule();
  }, [info, csv, order, image, schedule]);

  // Drag to pan, wheel to zoom (the wheel listener is not passive, so the page does not scroll).
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const wheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = c.getBoundingClientRect();
      zoomBy(e.deltaY < 0 ? 1.25 : 0.8, { x: ((e.clientX - r.left) * c.width) / r.width, y: ((e.clientY - r.top) * c.height) / r.height });
    };
    c.addEventListener('wheel', wheel, { passive: false });
    return () => c.removeEventListener('wheel', wheel);
  }, [zoomBy]);
  const drag = useRef<{ x: number; y: number } | null>(null);

  if (error) return <p className="muted small">{error}</p>;
  return (
    <div>
      <div className={styles.toolbar}>
        <span className={styles.zoom} role="group" aria-label="Zoom">
          <button type="button" className="btn btn--small" onClick={() => zoomBy(0.5)} disabled={!info}>
            Zoom out
          </button>
          <span className="small mono" aria-live="polite">
            {zoomText}
          </span>
          <button type="button" className="btn btn--small" onClick={() => zoomBy(2)} disabled={!info}>
            Zoom in
          </button>
          <button type="button" className="btn btn--small" onClick={fit} disabled={!info}>
            Fit
          </button>
        </span>
        <span className={`muted small ${styles.status}`} aria-live="polite" title={info ? status : undefined} data-testid="viewer-status">
          {info ? status : 'Opening the slide…'}
        </span>
      </div>
      <canvas
        ref={canvas}
        tabIndex={0}
        role="img"
        aria-label={`Whole-slide image ${image} with mask overlay. Arrow keys pan, plus and minus zoom, 0 fits.`}
        data-testid="viewer-slide"
        style={{ width: '100%', height: `${height}px`, display: 'block', touchAction: 'none', cursor: 'grab', border: '1px solid var(--border)', borderRadius: 'var(--radius)', background: 'var(--surface-2, #ddd)' }}
        onPointerDown={(e) => {
          drag.current = { x: e.clientX, y: e.clientY };
          e.currentTarget.setPointerCapture(e.pointerId);
        }}
        onPointerMove={(e) => {
          if (!drag.current) return;
          const r = e.currentTarget.getBoundingClientRect();
          const k = e.currentTarget.width / r.width;
          pan((e.clientX - drag.current.x) * k, (e.clientY - drag.current.y) * k);
          drag.current = { x: e.clientX, y: e.clientY };
        }}
        onPointerUp={() => (drag.current = null)}
        onPointerCancel={() => (drag.current = null)}
        onKeyDown={(e) => {
          const step = 100;
          const keys: Record<string, () => void> = {
            ArrowLeft: () => pan(step, 0),
            ArrowRight: () => pan(-step, 0),
            ArrowUp: () => pan(0, step),
            ArrowDown: () => pan(0, -step),
            '+': () => zoomBy(2),
            '=': () => zoomBy(2),
            '-': () => zoomBy(0.5),
            '0': fit,
          };
          const act = keys[e.key];
          if (!act) return;
          e.preventDefault();
          act();
        }}
      />
    </div>
  );
}
