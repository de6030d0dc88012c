import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadBundledCompetition, type CompetitionBundle } from '../loader.js';
import { buildCompetitionData, readDataManifest } from './build.js';

// Small versions of the two recipes (same generators, fewer and smaller images), built twice.

let dataDir: string;
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'holdout-determinism-'));
});
after(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function small(slug: string, overrides: Record<string, unknown>): Promise<CompetitionBundle> {
  const bundle = await loadBundledCompetition(slug);
  const recipe = bundle.config.data.recipe!;
  const params = { ...recipe.params, ...overrides };
  return { ...bundle, config: { ...bundle.config, data: { recipe: { ...recipe, params } } } };
}

const hubmapSmall = { scales: { demo: { minSide: 600, maxSide: 900, train: 2, publicTest: 1, privateTest: 1 }, full: { minSide: 600, maxSide: 900, train: 1, publicTest: 1, privateTest: 1 } } };
const sartoriusSmall = { scales: { demo: { train: 4, test: 3 }, full: { train: 4, test: 3 } } };

async function files(bundle: CompetitionBundle, dir: string, seed: number) {
  const built = await buildCompetitionData({ bundle, dataDir: join(dataDir, dir), scale: 'demo', seed });
  return { built, files: (await readDataManifest(built.paths))!.files };
}

describe('recipes are deterministic', () => {
  for (const [slug, overrides] of [['hubmap-glomeruli', hubmapSmall], ['sartorius-cells', sartoriusSmall]] as const) {
    it(`${slug}: the same seed gives byte-identical files, another seed other files`, async () => {
      const bundle = await small(slug, overrides);
      const a = await files(bundle, 'a', 11);
      const b = await files(bundle, 'b', 11);
      const c = await files(bundle, 'c', 12);
      assert.equal(a.built.cached, false);
      assert.equal(b.built.cached, false);
      assert.equal(a.built.recipeHash, b.built.recipeHash);
      assert.notEqual(a.built.recipeHash, c.built.recipeHash);
      assert.deepEqual(a.files, b.files);
      const bySha = new Set(a.files.map((f) => f.sha256));
      assert.ok(c.files.filter((f) => bySha.has(f.sha256)).length === 0, 'no file of seed 12 equals one of seed 11');
    });
  }

  it('HuBMAP-like: slides written strip by strip (bounded memory) have the same pixels', async () => {
    const inMemory = await files(await small('hubmap-glomeruli', hubmapSmall), 'mem', 5);
    const strips = await files(await small('hubmap-glomeruli', { ...hubmapSmall, maxInMemoryPixels: 1000 }), 'strips', 5);
    assert.notEqual(inMemory.built.recipeHash, strips.built.recipeHash);
    const tiffs = inMemory.files.filter((f) => f.path.endsWith('.tiff'));
    assert.equal(tiffs.length, 4);
    for (const { path } of tiffs) {
      const [p, q] = await Promise.all(
        [inMemory, strips].map((x) => sharp(join(x.built.paths.root, path)).raw().toBuffer({ resolveWithObject: true })),
      );
      assert.deepEqual(p!.info, q!.info);
      assert.ok(p!.data.equals(q!.data), `${path}: pixels differ`);
    }
    // Labels do not depend on how the pixels were written.
    const csv = (x: typeof inMemory) => x.files.filter((f) => f.path.endsWith('.csv')).map((f) => [f.path, f.sha256]);
    assert.deepEqual(csv(inMemory), csv(strips));
  });
});
