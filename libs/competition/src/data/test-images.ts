import { join } from 'node:path';
import { readCsvFile } from '../csv-read.js';
import { listImages } from './validate.js';

/** One test image as a model run reads it: where it lies and its size (from the solution). */
export interface TestImage {
  id: string;
  path: string;
  width: number;
  height: number;
}

/**
 * Every image the solution scores, sorted by id (never by public/private split, so the order of a
 * run's progress says nothing of the split), found in `hidden/test/` (a kernel-only competition's
 * hidden images) or `public/test/`. Throws naming the first image the data lacks.
 */
export async function testImagesOf(o: { dataDir: string; publicDir: string; solutionPath: string }): Promise<TestImage[]> {
  const [hidden, visible] = await Promise.all([listImages(join(o.dataDir, 'hidden', 'test')), listImages(join(o.publicDir, 'test'))]);
  const solution = await readCsvFile(o.solutionPath, 'solution.csv');
  const sizes = new Map<string, { width: number; height: number }>();
  for (const { values } of solution.rows) {
    const id = values.id ?? '';
    if (!sizes.has(id)) sizes.set(id, { width: Number(values.width), height: Number(values.height) });
  }
  return [...sizes.keys()].sort().map((id) => {
    const path = hidden.get(id) ?? visible.get(id);
    if (!path) throw new Error(`the test image ${id} is missing from the competition's data`);
    return { id, path, ...sizes.get(id)! };
  });
}
