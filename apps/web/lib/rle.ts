// A tiny RLE encoder for the Data tab's worked example (the real codec lives in libs/metrics).
import type { RleOrder } from '@holdout/contracts';

/** 1-based pixel number of (row, col) in a height×width image for the given order. */
export function pixelNumber(row: number, col: number, height: number, width: number, order: RleOrder): number {
  return order === 'column' ? col * height + row + 1 : row * width + col + 1;
}

/** Kaggle RLE: `start length …`, 1-indexed, in the competition's pixel order. */
export function encodeRle(mask: boolean[][], order: RleOrder): string {
  const height = mask.length;
  const width = mask[0]?.length ?? 0;
  const flat: boolean[] = [];
  if (order === 'column') for (let c = 0; c < width; c++) for (let r = 0; r < height; r++) flat.push(mask[r]![c]!);
  else for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) flat.push(mask[r]![c]!);
  const runs: number[] = [];
  for (let i = 0; i < flat.length; i++) {
    if (flat[i] && (i === 0 || !flat[i - 1])) runs.push(i + 1, 0);
    if (flat[i]) runs[runs.length - 1]!++;
  }
  return runs.join(' ');
}
