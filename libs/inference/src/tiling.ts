import type { Region, ViewConfig } from './types.js';

/**
 * The windows of one view along one image axis. Window `i` reads `[positions[i], positions[i] +
 * window)`; its kept region (centre-crop blending) is `[keepStart[i], keepEnd[i])`, and the kept
 * regions tile `[0, length)` exactly once.
 */
export interface AxisPlan {
  length: number;
  window: number;
  stride: number;
  positions: number[];
  keepStart: number[];
  keepEnd: number[];
}

/** One window of a view: the image region it reads, where it sits in the grid, and what it keeps. */
export interface PlannedWindow extends Region {
  /** Index of the window along x (column of windows) and along y (row of windows). */
  ix: number;
  iy: number;
  /** The part of the image this window alone answers for under centre-crop blending. */
  keep: Region;
}

/**
 * Throws an Error naming the problem when a view cannot be tiled: sizes must be positive
 * integers and the stride at most the window (a larger stride would leave gaps).
 */
export function validateView(view: ViewConfig): void {
  const { window, size, stride } = view;
  for (const [name, value] of [
    ['window', window],
    ['size', size],
    ['stride', stride],
  ] as const) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new Error(`view ${name} must be a positive integer, got ${value}`);
    }
  }
  if (stride > window) {
    throw new Error(`view stride ${stride} is larger than its window ${window}: pixels between windows would be missed`);
  }
}

/**
 * Places windows along an axis of `length` pixels: every `stride` pixels from 0, with the last one
 * flush with the end (`length - window`) so nothing is missed. An axis shorter than the window gets
 * one window at 0, reading zeros past the end.
 *
 * Kept regions: each window keeps its centre, a margin of `floor((window - stride) / 2)` in from
 * each inner side, widened to the image edge on the first and last window. The flush last window
 * overlaps its neighbour by more than the margin allows, so it keeps from where its neighbour's kept
 * region ends.
 */
export function planAxis(length: number, window: number, stride: number): AxisPlan {
  validateView({ window, size: 1, stride });
  if (!Number.isSafeInteger(length) || length <= 0) throw new Error(`image side must be a positive integer, got ${length}`);
  const positions: number[] = [];
  for (let p = 0; ; p += stride) {
    if (p + window >= length) {
      positions.push(Math.max(0, length - window));
      break;
    }
    positions.push(p);
  }
  const margin = Math.floor((window - stride) / 2);
  const n = positions.length;
  const keepStart: number[] = new Array(n);
  const keepEnd: number[] = new Array(n);
  keepStart[0] = 0;
  for (let i = 0; i < n - 1; i++) {
    // Where window i's centre ends; for the flush last window this is still inside it because
    // the last window starts at most `stride` after window i.
    const boundary = positions[i]! + margin + stride;
    keepEnd[i] = boundary;
    keepStart[i + 1] = boundary;
  }
  keepEnd[n - 1] = length;
  return { length, window, stride, positions, keepStart, keepEnd };
}

/**
 * The windows of one view over a `width`×`height` image, row of windows by row of windows (top to
 * bottom, left to right within a row). Windows are `view.window` pixels square and may reach past
 * the image when the image is smaller than the window. Throws an Error for an invalid view.
 */
export function planWindows(width: number, height: number, view: ViewConfig): PlannedWindow[] {
  validateView(view);
  const xs = planAxis(width, view.window, view.stride);
  const ys = planAxis(height, view.window, view.stride);
  const windows: PlannedWindow[] = [];
  for (let iy = 0; iy < ys.positions.length; iy++) {
    for (let ix = 0; ix < xs.positions.length; ix++) {
      windows.push({
        x: xs.positions[ix]!,
        y: ys.positions[iy]!,
        width: view.window,
        height: view.window,
        ix,
        iy,
        keep: {
          x: xs.keepStart[ix]!,
          y: ys.keepStart[iy]!,
          width: xs.keepEnd[ix]! - xs.keepStart[ix]!,
          height: ys.keepEnd[iy]! - ys.keepStart[iy]!,
        },
      });
    }
  }
  return windows;
}
