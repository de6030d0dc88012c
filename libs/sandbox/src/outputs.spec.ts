import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyRegularFiles, measureDir } from './outputs.js';

describe('outputs', () => {
  it('copies regular files only, never following links, within the cap', async () => {
    const root = await mkdtemp(join(tmpdir(), 'outputs-'));
    try {
      const from = join(root, 'from');
      await mkdir(join(from, 'sub'), { recursive: true });
      await writeFile(join(from, 'submission.csv'), 'id,predicted\n');
      await writeFile(join(from, 'sub', 'model.bin'), Buffer.alloc(2000));
      await writeFile(join(from, 'big.bin'), Buffer.alloc(10_000));
      await symlink('/etc/passwd', join(from, 'passwd-link'));
      const { bytes, skipped } = await copyRegularFiles(from, join(root, 'to'), 5000);
      assert.deepEqual((await readdir(join(root, 'to'))).sort(), ['sub', 'submission.csv'], 'link and over-cap file dropped');
      assert.deepEqual(await readdir(join(root, 'to', 'sub')), ['model.bin']);
      assert.equal(bytes, 2013);
      assert.equal(skipped, 2);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('measures a tree and stops once past the limit', async () => {
    const root = await mkdtemp(join(tmpdir(), 'measure-'));
    try {
      for (let i = 0; i < 20; i++) await writeFile(join(root, `f${i}`), Buffer.alloc(10_000, 1));
      const all = await measureDir(root, 1e9);
      assert.equal(all.exceeded, false);
      assert.equal(all.entries, 20);
      assert.ok(all.bytes >= 200_000);
      const capped = await measureDir(root, 50_000);
      assert.equal(capped.exceeded, true);
      assert.ok(capped.entries < 20, 'stopped early');
      assert.equal((await measureDir(root, 1e9, 5)).exceeded, true, 'too many entries counts as exceeding');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
