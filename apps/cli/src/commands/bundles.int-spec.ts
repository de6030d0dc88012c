// Drives `holdout bundles …` as a user would: a real process, a real data build.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const CLI = join(ROOT, 'apps/cli/dist/main.cjs');

function holdout(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('holdout bundles', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'holdout-cli-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('builds a bundle, then finds it cached, and its sample submission scores', async () => {
    const first = await holdout(['bundles', 'build', 'hubmap-glomeruli', '--scale', 'demo', '--data-dir', dataDir, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const built = JSON.parse(first.stdout);
    assert.equal(built.cached, false);
    assert.equal(built.slug, 'hubmap-glomeruli');
    assert.ok((await stat(join(built.paths.hiddenDir, 'solution.csv'))).size > 0);

    const again = await holdout(['bundles', 'build', 'hubmap-glomeruli', '--scale', 'demo', '--data-dir', dataDir, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).cached, true);
    assert.equal(JSON.parse(again.stdout).paths.root, built.paths.root);

    const scored = await holdout([
      'score', '--metric', 'dice', '--rle-order', 'column', '--json',
      '--solution', join(built.paths.hiddenDir, 'solution.csv'),
      '--submission', join(built.paths.publicDir, 'sample_submission.csv'),
    ]);
    assert.equal(scored.code, 0, scored.stdout + scored.stderr);
    const result = JSON.parse(scored.stdout);
    assert.equal(result.metric, 'dice');
    assert.ok(result.score >= 0 && result.score <= 1);
    assert.ok(result.public && result.private, 'the bundle splits its test set into public and private');
  });

  it('refuses an unknown slug with exit code 2 and says which', async () => {
    const r = await holdout(['bundles', 'build', 'no-such-competition', '--data-dir', dataDir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no-such-competition/);
  });

  it('validate names the field that is wrong', async () => {
    const bundle = join(dataDir, 'broken-bundle');
    await cp(join(ROOT, 'competitions/hubmap-glomeruli'), bundle, { recursive: true });
    const yamlPath = join(bundle, 'competition.yaml');
    const yaml = await readFile(yamlPath, 'utf8');
    await writeFile(yamlPath, yaml.replace(/timeLimit: 9h/, 'timeLimit: 9 hours'));
    const r = await holdout(['bundles', 'validate', bundle]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /kernel\.timeLimit/);

    const ok = await holdout(['bundles', 'validate', join(ROOT, 'competitions/hubmap-glomeruli')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /valid/);
  });
});
