#!/usr/bin/env node
// Regenerates each bundle's starter/kernel.ipynb from starter/kernel.py (build libs/competition
// first). A unit test fails when a committed notebook differs from its script.
import { readFile, writeFile, readdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notebookText, scriptToNotebook } from '@holdout/competition';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const slug of (await readdir(root)).sort()) {
  const script = join(root, slug, 'starter', 'kernel.py');
  const text = await readFile(script, 'utf8').catch(() => null);
  if (text === null) continue;
  await writeFile(join(root, slug, 'starter', 'kernel.ipynb'), notebookText(scriptToNotebook(text)));
  console.log(`${slug}/starter/kernel.ipynb`);
}
