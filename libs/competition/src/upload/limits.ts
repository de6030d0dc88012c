import { extname } from 'node:path';

// What the platform accepts from an uploaded bundle, per file, before reading any of it. Each
// limit is checked against the size a tar entry declares, while the archive streams, so a file
// over its limit is never written or parsed.

const KiB = 1024;
const MiB = 1024 * KiB;

/** Per-file and per-archive limits of an uploaded competition bundle. */
export const BUNDLE_LIMITS = {
  /** `competition.yaml`: a few KB in practice; its Markdown description included. */
  configBytes: 64 * KiB,
  /** Each `pages/*.md`. */
  pageBytes: 1 * MiB,
  /** Files under `starter/` (a script, a notebook with its outputs). */
  starterBytes: 10 * MiB,
  /** Each CSV (`solution.csv`, `train.csv`, `sample_submission.csv`): labels as RLE text. */
  csvBytes: 256 * MiB,
  /** Anything else that is not an image (a baseline model, a training script, a README). */
  otherBytes: 32 * MiB,
  /** Entries (files and directories) in one archive. */
  maxEntries: 20_000,
  /**
   * Data-as-files bundles whose CSVs add up to at most this are checked whole at upload (solution
   * rows against the images, labels, sample); larger ones only when the worker builds the data,
   * because the check holds the tables in memory and the upload checker's heap is small.
   */
  uploadDataCheckCsvBytes: 16 * MiB,
  /** YAML: aliases expanded at most this many times (a billion-laughs file needs millions). */
  yamlMaxAliases: 100,
  /** YAML: collections nested at most this deep (competition.yaml needs 5). */
  yamlMaxDepth: 32,
  /** YAML: unclosed `[`/`{` at most this deep in the text, checked before parsing (the parser recurses per level). */
  yamlMaxFlowBrackets: 256,
} as const;

/** Image files a competition may carry; the id is the file name without its extension. */
export const IMAGE_EXTENSIONS = ['.png', '.tif', '.tiff', '.jpg', '.jpeg'] as const;

/** Pixels an image of a competition may have unless its `data.maxImagePixels` says otherwise (50 000²). */
export const DEFAULT_MAX_IMAGE_PIXELS = 2_500_000_000;

const isImage = (path: string) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());

/**
 * The largest size a file of an uploaded bundle may have, by its path in the archive (with or
 * without a top-level directory: `competition.yaml`, `x/pages/overview.md`, `data/hidden/solution.csv`),
 * and what it is, for the message. Images are limited by pixels (checked from their headers) and the archive's total.
 */
export function bundleFileLimit(path: string, imageBytes: number): { bytes: number; what: string } {
  const parts = path.split('/');
  const name = parts[parts.length - 1]!;
  if (name === 'competition.yaml') return { bytes: BUNDLE_LIMITS.configBytes, what: 'competition.yaml' };
  if (parts.includes('pages') && name.endsWith('.md')) return { bytes: BUNDLE_LIMITS.pageBytes, what: 'a page' };
  if (parts.includes('starter')) return { bytes: BUNDLE_LIMITS.starterBytes, what: 'a starter file' };
  if (name.toLowerCase().endsWith('.csv')) return { bytes: BUNDLE_LIMITS.csvBytes, what: 'a CSV file' };
  if (isImage(name)) return { bytes: imageBytes, what: 'an image' };
  return { bytes: BUNDLE_LIMITS.otherBytes, what: 'a file' };
}

/** The pixel limit of a competition's images: `data.maxImagePixels` of its config, else the default. */
export function maxImagePixelsOf(config: unknown): number {
  const v = (config as { data?: { maxImagePixels?: unknown } } | null | undefined)?.data?.maxImagePixels;
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : DEFAULT_MAX_IMAGE_PIXELS;
}

/** "12.0 MB", "64 KB": sizes in messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${Math.round((bytes / (1024 * MiB)) * 10) / 10} GB`;
  if (bytes >= MiB) return `${Math.round((bytes / MiB) * 10) / 10} MB`;
  return `${Math.max(1, Math.round(bytes / KiB))} KB`;
}
