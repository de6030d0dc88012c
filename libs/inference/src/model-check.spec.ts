import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkModelFor, type ModelSettings } from './model-check.js';
import { createPredictor } from './session.js';
import { ensembleTar } from './testing/archive.js';
import { channelIdentityModel, customDomainModel, fixedSizeModel, identityModel } from './testing/graphs.js';

const settings: ModelSettings = {
  input: { channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
  output: { kind: 'probabilities', channels: 1 },
  views: [
    { window: 64, size: 32, stride: 32 },
    { window: 128, size: 32, stride: 64 },
  ],
  maxSizeBytes: 1 << 20,
};

describe('checkModelFor (the one check of the API, the worker and holdout predict)', () => {
  let dir = '';
  const file = async (name: string, bytes: Uint8Array) => {
    dir ||= await mkdtemp(join(tmpdir(), 'model-check-'));
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };
  after(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  it('accepts a model and describes it, without its bytes unless asked', async () => {
    const check = await checkModelFor(settings, await file('m.onnx', identityModel()), 'model.onnx');
    assert.ok(check.ok, JSON.stringify(check));
    assert.deepEqual(check.members.map((m) => [m.name, m.info.outputChannels, 'bytes' in m]), [['model.onnx', 1, false]]);
  });

  it('hands back each ensemble member\'s bytes, which a predictor loads without reading the file again', async () => {
    const a = identityModel();
    const b = identityModel({ mean: 0.5 });
    const check = await checkModelFor(settings, await file('ens.tar', await ensembleTar({ 'a.onnx': a, 'b.onnx': b })), 'ens.tar', { keepBytes: true });
    assert.ok(check.ok, JSON.stringify(check));
    assert.deepEqual(check.members.map((m) => m.name), ['a.onnx', 'b.onnx']);
    assert.deepEqual([...check.members[0]!.bytes], [...a]);
    assert.deepEqual([...check.members[1]!.bytes], [...b]);
    const bytes = check.members.map((m) => m.bytes);
    const predictor = await createPredictor({ models: bytes, transferModels: true, outputKind: 'probabilities', intraOpThreads: 1 });
    try {
      // Moved to the inference thread, not copied.
      assert.deepEqual(bytes.map((m) => m.length), [0, 0]);
      const out = await predictor.run(new Float32Array(3 * 4).fill(0.25), 1, 3, 2);
      assert.deepEqual([...out], [0.5, 0.5, 0.5, 0.5]); // the mean of 0.25 and 0.75
    } finally {
      await predictor.close();
    }
  });

  it('refuses what the competition does not take, naming the file the participant gave', async () => {
    const wrongChannels = await checkModelFor(settings, await file('grey.onnx', identityModel({ channels: 1 })), 'grey.onnx');
    assert.equal(wrongChannels.ok, false);
    assert.match(!wrongChannels.ok ? wrongChannels.problems[0]!.message : '', /^grey\.onnx: .*3/);
    // A fixed input of 32 px fits both views (both feed 32 px); 64 px fits neither.
    assert.ok((await checkModelFor(settings, await file('f32.onnx', fixedSizeModel(32)), 'f32.onnx')).ok);
    const fixed = await checkModelFor(settings, await file('f64.onnx', fixedSizeModel(64)), 'f64.onnx');
    assert.deepEqual(!fixed.ok && fixed.problems.map((p) => p.code), ['INPUT_SIZE', 'INPUT_SIZE']);
    const custom = await checkModelFor(settings, await file('c.onnx', customDomainModel()), 'c.onnx', { keepBytes: true });
    assert.equal(custom.ok, false);
    assert.ok(!custom.ok && !custom.problems[0]!.message.includes(dir), 'the server path is never shown');
  });

  it('with classes of instances, takes only a model that outputs every channel (the class channels come last)', async () => {
    const classed: ModelSettings = {
      ...settings,
      output: { kind: 'probabilities', channels: 3 },
      instances: { method: 'components', minArea: 0, classes: [{ name: 'a', minArea: 10 }, { name: 'b', minArea: 20 }] },
    };
    assert.ok((await checkModelFor(classed, await file('rgb.onnx', channelIdentityModel()), 'rgb.onnx')).ok);
    const fewer = await checkModelFor(classed, await file('one.onnx', identityModel()), 'one.onnx');
    assert.deepEqual(!fewer.ok && fewer.problems.map((p) => p.message), ['one.onnx: output "mask" has 1 channels; this competition accepts 3']);
    // Without classes, fewer channels than the pipeline reads are fine (no boundary, no centre).
    assert.ok((await checkModelFor({ ...classed, instances: { method: 'components', minArea: 0 } }, await file('one.onnx', identityModel()), 'one.onnx')).ok);
  });

  it('refuses a file over the competition\'s size limit before reading it', async () => {
    const check = await checkModelFor({ ...settings, maxSizeBytes: 100 }, await file('big.onnx', identityModel()), 'big.onnx');
    assert.deepEqual(!check.ok && check.problems.map((p) => p.code), ['MODEL_FILE_TOO_LARGE']);
  });
});
