import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPathsAt } from './data/paths.js';
import { parseCompetitionConfig } from './loader.js';
import { hiddenRunSampleSubmission, kernelRunSettings, pagesForSlug, perImageFeedbackVisible, readSolutionSplits, refuseSubmissionKind, scoringOptions } from './submission.js';
import { bundledYaml, toYaml } from './testing.js';

const hubmap = parseCompetitionConfig(toYaml(bundledYaml('hubmap-glomeruli')));
const sartorius = parseCompetitionConfig(toYaml(bundledYaml('sartorius-cells')));

describe('submission rules', () => {
  it('refuses file submissions to a kernel-only competition, with a hint', () => {
    assert.equal(refuseSubmissionKind(hubmap, 'file'), null);
    assert.equal(refuseSubmissionKind(sartorius, 'kernel'), null);
    const refusal = refuseSubmissionKind(sartorius, 'file');
    assert.equal(refusal?.code, 'SUBMISSION_KIND_NOT_ALLOWED');
    assert.match(refusal!.message, /accepts kernels and models only.*code competition: submit a notebook or script that writes submission\.csv, or an ONNX model that the platform runs\./);
  });

  it('gives a hidden run a sample file over its test images, in the public sample\'s columns, with no truth', () => {
    const pub = { columns: ['id', 'predicted'], rows: [{ row: 2, values: { id: 'a1', predicted: '' } }] };
    assert.equal(hiddenRunSampleSubmission(pub, ['c3', 'a1', 'b2']), 'id,predicted\na1,\nb2,\nc3,\n');
    const withDefault = { columns: ['id', 'predicted', 'note'], rows: [{ row: 2, values: { id: 'a1', predicted: '1 2', note: 'x' } }] };
    assert.equal(hiddenRunSampleSubmission(withDefault, ['z']), 'id,predicted,note\nz,1 2,x\n');
    assert.equal(hiddenRunSampleSubmission({ columns: [], rows: [] }, ['q']), 'id,predicted\nq,\n');
  });

  it('shows a bundle\'s pages with the input path of the slug the competition was created under', () => {
    const pages = { overview: 'reads `/kaggle/input/hubmap-glomeruli/` and /kaggle/input/hubmap-glomeruli', data: 'not /kaggle/input/hubmap-glomeruli-v2/ nor hubmap-glomeruli alone' };
    assert.deepEqual(pagesForSlug(pages, { bundleSlug: 'hubmap-glomeruli', slug: 'kidney-2026' }), {
      overview: 'reads `/kaggle/input/kidney-2026/` and /kaggle/input/kidney-2026',
      data: 'not /kaggle/input/hubmap-glomeruli-v2/ nor hubmap-glomeruli alone',
    });
    assert.equal(pagesForSlug(pages, { bundleSlug: 'hubmap-glomeruli', slug: 'hubmap-glomeruli' }), pages);
  });

  it('shows per-image public scores to staff always, to participants after the reveal or where disclosed', () => {
    const cases: [staff: boolean, revealed: boolean, perImagePublic: boolean | undefined, visible: boolean][] = [
      [false, false, undefined, false],
      [false, false, false, false],
      [false, false, true, true],
      [false, true, false, true],
      [true, false, false, true],
    ];
    for (const [staff, revealed, perImagePublic, visible] of cases) {
      const config = perImagePublic === undefined ? {} : { feedback: { perImagePublic } };
      assert.equal(perImageFeedbackVisible({ staff, revealed, config }), visible, JSON.stringify({ staff, revealed, perImagePublic }));
    }
  });

  it('scores with the competition\'s metric, pixel order and solution', () => {
    const paths = dataPathsAt(sartorius, { root: '/data/x' });
    assert.deepEqual(scoringOptions(sartorius, paths), { metric: 'instance-map', rleOrder: 'row', solution: '/data/x/hidden/solution.csv' });
  });

  it('gives kernels the limits and a view of the data without the solution', () => {
    const paths = dataPathsAt(sartorius, { root: '/data/x' });
    const run = kernelRunSettings('sartorius-cells', sartorius, paths)!;
    assert.equal(run.timeLimitSeconds, 9 * 3600);
    assert.equal(run.gpus, 1);
    assert.equal(run.outputFile, '/kaggle/working/submission.csv');
    assert.deepEqual(run.mounts.map((m) => `${m.source} -> ${m.target}`), [
      '/data/x/public -> /kaggle/input/sartorius-cells',
      '/data/x/hidden/test -> /kaggle/input/sartorius-cells/test',
    ]);
    assert.ok(run.mounts.every((m) => m.readOnly && !m.source.endsWith('solution.csv') && m.source !== paths.hiddenDir));
    // HuBMAP's test slides are public: nothing hidden is mounted.
    const h = kernelRunSettings('hubmap-glomeruli', hubmap, dataPathsAt(hubmap, { root: '/data/h' }))!;
    assert.deepEqual(h.mounts.map((m) => m.source), ['/data/h/public']);
  });

  it('reads the public/private split from Usage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'holdout-usage-'));
    try {
      const file = join(dir, 'solution.csv');
      await writeFile(file, 'id,height,width,annotation,Usage\na,2,2,1 1,Public\na,2,2,3 1,Public\nb,2,2,,Private\nc,2,2,,Private\n');
      const splits = await readSolutionSplits(file);
      assert.deepEqual([splits.publicImages, splits.privateImages], [1, 2]);
      assert.equal(splits.usage.get('b'), 'Private');
      await writeFile(file, 'id,height,width,annotation,Usage\na,2,2,1 1,Public\na,2,2,3 1,Private\n');
      await assert.rejects(readSolutionSplits(file), /row 3: image "a" is both Public and Private/);
      await writeFile(file, 'id,height,width,encoding\na,2,2,\n');
      assert.equal((await readSolutionSplits(file)).publicImages, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
