import { readdir } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { parseRle, ScoringError } from '@holdout/metrics';
import { readImageHeader } from '../upload/image-header.js';
import { readCsvFile, type CsvTable } from '../csv-read.js';
import type { BundleIssue } from '../errors.js';
import type { CompetitionConfig } from '../schema.js';
import { IMAGE_EXTENSIONS, maxImagePixelsOf } from '../upload/limits.js';
import type { CompetitionDataPaths } from './paths.js';

export { IMAGE_EXTENSIONS };

/** The images of a folder by id (file name without its image extension), sorted by name; empty when the folder is missing. */
export async function listImages(dir: string): Promise<Map<string, string>> {
  const images = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return images;
  }
  for (const name of names.sort()) {
    const ext = extname(name).toLowerCase();
    if ((IMAGE_EXTENSIONS as readonly string[]).includes(ext)) images.set(name.slice(0, -ext.length), join(dir, name));
  }
  return images;
}

/**
 * Checks competition data laid out as in `CompetitionDataPaths` (an instructor's data-as-files
 * bundle, or built data): `solution.csv` has the metric's columns, valid sizes and `Usage`; every
 * solution id has a test image of that size and every test image a solution row; every RLE
 * (solution and train labels) decodes inside its image; train labels name existing train images;
 * the sample submission has `id,predicted` and names test images. Returns every problem found,
 * each naming its file (relative to the data root) and row; an empty list means valid.
 */
export async function validateCompetitionData(
  config: Pick<CompetitionConfig, 'metric' | 'submissions'> & { data?: { maxImagePixels?: number } },
  paths: CompetitionDataPaths,
): Promise<BundleIssue[]> {
  const issues: BundleIssue[] = [];
  const name = (path: string) => relative(paths.root, path) || path;
  const labelColumn = config.metric.name === 'dice' ? 'encoding' : 'annotation';

  const read = async (path: string, required: string[]): Promise<CsvTable | null> => {
    try {
      const table = await readCsvFile(path, name(path));
      const missing = required.filter((c) => !table.columns.includes(c));
      if (missing.length > 0) {
        issues.push({ file: name(path), row: 1, message: `missing column(s) ${missing.join(', ')} (header: ${table.columns.join(',')})` });
        return null;
      }
      return table;
    } catch (error) {
      if (error instanceof ScoringError) issues.push({ file: name(path), row: error.row ?? undefined, message: error.message });
      else issues.push({ file: name(path), message: 'is missing or unreadable' });
      return null;
    }
  };

  // Test images and the solution.
  const testImages = await listImages(paths.kernelTestDir);
  if (testImages.size === 0) issues.push({ file: name(paths.kernelTestDir), message: 'holds no test images (.png, .tif, .tiff, .jpg)' });
  const maxPixels = maxImagePixelsOf(config);
  const sizes = new Map<string, { width: number; height: number } | null>();
  // Each image is reported once, by its file, however many rows name it.
  const sizeOf = async (images: Map<string, string>, id: string) => {
    const path = images.get(id)!;
    if (!sizes.has(path)) {
      const size = await readImageHeader(path, maxPixels);
      if ('problem' in size) issues.push({ file: name(path), message: size.problem });
      sizes.set(path, 'problem' in size ? null : size);
    }
    return sizes.get(path)!;
  };
  const solution = await read(paths.solutionCsv, ['id', 'height', 'width', labelColumn]);
  const solutionIds = new Set<string>();
  if (solution) {
    const file = name(paths.solutionCsv);
    for (const { row, values } of solution.rows) {
      const id = values.id!;
      const h = Number(values.height);
      const w = Number(values.width);
      if (config.metric.name === 'dice' && solutionIds.has(id)) {
        issues.push({ file, row, message: `image "${id}" appears twice (a Dice solution has one row per image)` });
      }
      solutionIds.add(id);
      if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
        issues.push({ file, row, message: `height/width must be positive integers (got "${values.height}", "${values.width}")` });
        continue;
      }
      if ('Usage' in values && values.Usage !== 'Public' && values.Usage !== 'Private') {
        issues.push({ file, row, message: `Usage must be "Public" or "Private" (got "${values.Usage}")` });
      }
      if (!testImages.has(id)) {
        issues.push({ file, row, message: `image "${id}" has no file in ${name(paths.kernelTestDir)}/` });
      } else {
        const size = await sizeOf(testImages, id);
        if (size && (size.height !== h || size.width !== w)) {
          issues.push({ file, row, message: `image "${id}" is ${size.height}×${size.width} (height×width) but the row says ${h}×${w}` });
        }
      }
      try {
        parseRle(values[labelColumn]!, h * w);
      } catch (error) {
        issues.push({ file, row, message: `${labelColumn} of "${id}": ${(error as Error).message}` });
      }
    }
    for (const id of testImages.keys()) {
      if (!solutionIds.has(id)) issues.push({ file: name(testImages.get(id)!), message: `test image "${id}" has no row in ${file}` });
    }
  }

  // Train labels.
  const trainImages = await listImages(join(paths.publicDir, 'train'));
  const train = await read(paths.trainCsv, ['id', labelColumn]);
  if (train) {
    const file = name(paths.trainCsv);
    for (const { row, values } of train.rows) {
      const id = values.id!;
      if (!trainImages.has(id)) {
        issues.push({ file, row, message: `image "${id}" has no file in ${name(join(paths.publicDir, 'train'))}/` });
        continue;
      }
      const size = await sizeOf(trainImages, id);
      if (!size) continue;
      try {
        parseRle(values[labelColumn]!, size.height * size.width);
      } catch (error) {
        issues.push({ file, row, message: `${labelColumn} of "${id}": ${(error as Error).message}` });
      }
    }
  }

  // Sample submission.
  const sample = await read(paths.sampleSubmissionCsv, ['id', 'predicted']);
  if (sample) {
    for (const { row, values } of sample.rows) {
      if (!testImages.has(values.id!)) issues.push({ file: name(paths.sampleSubmissionCsv), row, message: `image "${values.id}" is not a test image` });
    }
  }
  if (config.submissions.kinds.includes('file') && paths.kernelTestDir !== paths.publicTestDir) {
    issues.push({ file: name(paths.publicTestDir), message: 'file submissions need every test image in public/test' });
  }
  return issues;
}
