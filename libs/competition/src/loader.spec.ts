import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompetitionBundleError } from './errors.js';
import { defaultCompetitionsDir, listBundledCompetitions, loadBundle, PAGE_NAMES } from './loader.js';

async function copyBundle(slug: string, as = slug): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'holdout-bundle-'));
  const dir = join(root, as);
  await cp(join(defaultCompetitionsDir(), slug), dir, { recursive: true });
  return { dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

async function loadError(dir: string): Promise<CompetitionBundleError> {
  try {
    await loadBundle(dir);
  } catch (error) {
    if (error instanceof CompetitionBundleError) return error;
    throw error;
  }
  assert.fail('expected loadBundle to throw');
}

describe('loadBundle', () => {
  it('lists the two bundled competitions', async () => {
    const bundles = await listBundledCompetitions();
    assert.deepEqual(bundles.map((b) => b.slug), ['hubmap-glomeruli', 'sartorius-cells']);
  });

  for (const slug of ['hubmap-glomeruli', 'sartorius-cells']) {
    it(`loads ${slug} with its pages, sample submission and starter kernel`, async () => {
      const bundle = await loadBundle(join(defaultCompetitionsDir(), slug));
      assert.equal(bundle.slug, slug);
      for (const page of PAGE_NAMES) assert.match(bundle.pages[page], /^# /, `${page} starts with a heading`);
      assert.ok(bundle.files.sampleSubmission?.endsWith('sample_submission.csv'));
      assert.ok(bundle.files.starterKernel.py?.endsWith('kernel.py'));
      assert.ok(bundle.files.starterKernel.ipynb?.endsWith('kernel.ipynb'));
      // The data page carries a worked RLE example in the competition's own pixel order.
      const order = bundle.config.metric.rleOrder === 'column' ? /top to bottom, then left to\s+right/ : /left to right, then top to\s+bottom/;
      assert.match(bundle.pages.data, order);
    });
  }

  it('names a missing page', async () => {
    const { dir, cleanup } = await copyBundle('sartorius-cells');
    try {
      await rm(join(dir, 'pages', 'rules.md'));
      const error = await loadError(dir);
      assert.deepEqual(error.issues.map((i) => i.file), ['pages/rules.md']);
    } finally {
      await cleanup();
    }
  });

  it('names a slug that does not match the directory', async () => {
    const { dir, cleanup } = await copyBundle('sartorius-cells', 'cells-2027');
    try {
      const error = await loadError(dir);
      assert.equal(error.issues[0]?.field, 'slug');
      assert.match(error.message, /cells-2027/);
    } finally {
      await cleanup();
    }
  });

  it('reports config and page problems together', async () => {
    const { dir, cleanup } = await copyBundle('hubmap-glomeruli');
    try {
      await rm(join(dir, 'pages', 'data.md'));
      await writeFile(join(dir, 'competition.yaml'), 'schemaVersion: 1\nslug: hubmap-glomeruli\n');
      const error = await loadError(dir);
      const where = error.issues.map((i) => i.field ?? i.file);
      assert.ok(where.includes('title') && where.includes('metric') && where.includes('pages/data.md'), where.join(', '));
    } finally {
      await cleanup();
    }
  });

  it('says when there is no competition.yaml', async () => {
    const error = await loadError(join(tmpdir(), 'no-such-bundle-here'));
    assert.equal(error.issues[0]?.file, 'competition.yaml');
  });
});
