'use client';
import { useLayoutEffect, useState, type RefObject } from 'react';

const MIN = 240;
const MAX = 720;
const MARGIN = 16;

/**
 * A height for `el` that ends it within the first screen of the page (its top, measured with the
 * page scrolled to the top, to the bottom of the viewport), so the image is seen without
 * scrolling; between 240 and 720 px, updated as the window resizes.
 */
export function useFitHeight(el: RefObject<HTMLElement | null>, initial = 480): number {
  const [height, setHeight] = useState(initial);
  useLayoutEffect(() => {
    const fit = () => {
      const e = el.current;
      if (!e) return;
      const top = e.getBoundingClientRect().top + window.scrollY;
      setHeight(Math.round(Math.max(MIN, Math.min(MAX, window.innerHeight - top - MARGIN))));
    };
    fit();
    window.addEventListener('resize', fit);
    return () => window.removeEventListener('resize', fit);
  }, [el]);
  return height;
}
