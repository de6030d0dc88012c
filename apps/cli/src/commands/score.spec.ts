import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

// The compiled entry point beside this file's compiled copy: dist/commands/ -> dist/main.cjs.
const MAIN = fileURLToPath(new URL('../main.cjs', import.meta.url));

function holdout(args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('holdout score (CLI contract)', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'holdout-cli-score-'));
    await writeFile(file('dice-solution.csv'), 'id,height,width,encoding,Usage\na,2,2,1 2,Public\nb,3,5,2 2 7 3 14 2,Private\n');
    await writeFile(file('dice-submission.csv'), 'id,predicted\na,1 1\nb,3 2 7 3 15 1\n');
    await writeFile(file('dice-bad.csv'), 'id,predicted\na,1 1\nb,7 3 3 2\n');
    await writeFile(file('inst-solution.csv'), 'id,height,width,annotation\nx,1,10,1 5\n');
    await writeFile(file('inst-submission.csv'), 'id,predicted\nx,1 4\n');
  });
  after(async () => rm(dir, { recursive: true }));

  it('--json prints exactly the documented object and exits 0', () => {
    const r = holdout(['score', '--metric', 'dice', '--solution', file('dice-solution.csv'), '--submission', file('dice-submission.csv'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out), ['metric', 'score', 'public', 'private', 'perImage']);
    assert.equal(out.metric, 'dice');
    assert.equal(out.score, (2 / 3 + 10 / 13) / 2);
    assert.deepEqual(out.public, { score: 2 / 3, images: 1, interval: [2 / 3, 2 / 3] });
    assert.deepEqual(out.private, { score: 10 / 13, images: 1, interval: [10 / 13, 10 / 13] });
    assert.deepEqual(out.perImage, { a: 2 / 3, b: 10 / 13 });
    assert.equal(r.stdout.trim().split('\n').length, 1);
  });

  it('--images reads the sizes a solution without height and width leaves out (HuBMAP train.csv)', async () => {
    await mkdir(file('images'));
    // a: 2x2, b: 3 rows of 5 (sharp takes width, then height).
    await sharp(Buffer.alloc(2 * 2 * 3), { raw: { width: 2, height: 2, channels: 3 } }).png().toFile(file('images/a.png'));
    await sharp(Buffer.alloc(5 * 3 * 3), { raw: { width: 5, height: 3, channels: 3 } }).png().toFile(file('images/b.png'));
    await writeFile(file('train.csv'), 'id,encoding,Usage\na,1 2,Public\nb,2 2 7 3 14 2,Private\n');
    const withSizes = holdout(['score', '--metric', 'dice', '--solution', file('dice-solution.csv'), '--submission', file('dice-submission.csv'), '--json']);
    const fromImages = holdout(['score', '--metric', 'dice', '--solution', file('train.csv'), '--submission', file('dice-submission.csv'), '--images', file('images'), '--json']);
    assert.equal(fromImages.code, 0, fromImages.stderr);
    assert.deepEqual(JSON.parse(fromImages.stdout), JSON.parse(withSizes.stdout));
    // Without --images the sizes are missing, and the error says where to get them.
    const without = holdout(['score', '--metric', 'dice', '--solution', file('train.csv'), '--submission', file('dice-submission.csv')]);
    assert.equal(without.code, 2);
    assert.match(without.stderr, /missing column height, width.*--images/s);
    // A folder that is not there is a bad command line, named.
    const nowhere = holdout(['score', '--metric', 'dice', '--solution', file('train.csv'), '--submission', file('dice-submission.csv'), '--images', file('nowhere')]);
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /nowhere: no such folder/);
  });

  it('scores instance-map with the row order (IoU 0.8 is not a hit at 0.8)', () => {
    const r = holdout(['score', '--metric', 'instance-map', '--rle-order', 'row', '--solution', file('inst-solution.csv'), '--submission', file('inst-submission.csv'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.score, 0.6);
    assert.equal(out.private, null);
  });

  it('invalid input: exit code 2 and {"error":{code,message,row}}', () => {
    const r = holdout(['score', '--metric', 'dice', '--solution', file('dice-solution.csv'), '--submission', file('dice-bad.csv'), '--json']);
    assert.equal(r.code, 2);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out), ['error']);
    assert.deepEqual(Object.keys(out.error), ['code', 'message', 'row']);
    assert.equal(out.error.code, 'unsorted_runs');
    assert.equal(out.error.row, 3);
    assert.match(out.error.message, /submission row 3 \(image "b"\): runs are not sorted \(start 3 after 7\)/);
  });

  it('a missing file is invalid input too (exit 2, row null)', () => {
    const r = holdout(['score', '--metric', 'dice', '--solution', file('nope.csv'), '--submission', file('dice-submission.csv'), '--json']);
    assert.equal(r.code, 2);
    const out = JSON.parse(r.stdout);
    assert.equal(out.error.code, 'unreadable_file');
    assert.equal(out.error.row, null);
  });

  it('an unknown metric exits 2 with invalid_options', () => {
    const r = holdout(['score', '--metric', 'f1', '--solution', file('dice-solution.csv'), '--submission', file('dice-submission.csv'), '--json']);
    assert.equal(r.code, 2);
    assert.equal(JSON.parse(r.stdout).error.code, 'invalid_options');
  });

  it('without --json prints a readable summary, and errors on stderr with exit 2', () => {
    const ok = holdout(['score', '--metric', 'dice', '--solution', file('dice-solution.csv'), '--submission', file('dice-submission.csv')]);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /^dice: 0\.717949 over 2 images\n {2}public {3}0\.666667/);
    const bad = holdout(['score', '--metric', 'dice', '--solution', file('dice-solution.csv'), '--submission', file('dice-bad.csv')]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /unsorted_runs.*row 3/);
  });

  it('a bad command line exits 1 with the problem and the usage; --help exits 0', () => {
    const missing = holdout(['score', '--metric', 'dice', '--solution', file('dice-solution.csv')]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^error: required option --submission not specified\n\nUsage: holdout score /);
    const unknown = holdout(['score', '--metric', 'dice', '--solution', file('dice-solution.csv'), '--submission', file('dice-submission.csv'), '--jsn']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Unknown option '--jsn'/);
    const command = holdout(['scroe']);
    assert.equal(command.code, 1);
    assert.match(command.stderr, /unknown command "scroe"[\s\S]*Commands:/);
    const help = holdout(['score', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--rle-order <order>/);
  });
});
