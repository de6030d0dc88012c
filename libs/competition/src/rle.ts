import { runsToRle } from '@holdout/metrics';

// RLE text for generated labels, through @holdout/metrics so the format is the scorer's own.

/** Formats sorted, non-overlapping 1-based runs as Kaggle RLE text (empty string for no runs). */
export function formatRle(starts: readonly number[], lengths: readonly number[]): string {
  return runsToRle(starts, lengths);
}
