// The builders' models, run directly in onnxruntime-node: the numbers other tests rely on hold, and
// onnxruntime reads every field our encoder writes (functions, subgraphs and external-data markers
// included), which checks the schema's field numbers against a real ONNX reader.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { validateModel } from '../validate.js';
import {
  constantModel,
  externalDataModel,
  fixedSizeModel,
  flipModel,
  identityModel,
  localFunctionModel,
  loopModel,
  nanModel,
  wrongShapeModel,
} from './graphs.js';

async function runModel(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const result = await session.run({ image: new ort.Tensor('float32', input, dims) });
    return result['mask']!;
  } finally {
    await session.release();
  }
}

/** 1×C×2×3, channel c holding c + 0.1·pixel. */
function sample(channels: number): Float32Array {
  return Float32Array.from({ length: channels * 6 }, (_, i) => Math.floor(i / 6) + 0.1 * (i % 6));
}
const CHANNEL_ZERO = [0, 0.1, 0.2, 0.3, 0.4, 0.5].map(Math.fround);

describe('test graphs in onnxruntime-node', () => {
  it('identity: output equals input channel 0 exactly', async () => {
    const out = await runModel(identityModel(), sample(3), [1, 3, 2, 3]);
    assert.deepEqual(out.dims, [1, 1, 2, 3]);
    assert.deepEqual([...(out.data as Float32Array)], CHANNEL_ZERO);
  });

  it('identity with mean and std: every output channel is x·std + mean, up to float32 rounding', async () => {
    const out = await runModel(identityModel({ channels: 1, outputChannels: 2, mean: 0.5, std: 0.25 }), sample(1), [1, 1, 2, 3]);
    assert.deepEqual(out.dims, [1, 2, 2, 3]);
    const expected = [...CHANNEL_ZERO, ...CHANNEL_ZERO].map((x) => Math.fround(x * 0.25 + 0.5));
    (out.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 1e-7, `${i}: ${v} vs ${expected[i]}`));
  });

  it('constant, NaN and flip models', async () => {
    assert.deepEqual([...((await runModel(constantModel(0.2), sample(3), [1, 3, 2, 3])).data as Float32Array)], new Array(6).fill(Math.fround(0.2)));
    assert.ok([...((await runModel(nanModel(), sample(3), [1, 3, 2, 3])).data as Float32Array)].every(Number.isNaN));
    const flipped = await runModel(flipModel(), sample(3), [1, 3, 2, 3]);
    assert.deepEqual([...(flipped.data as Float32Array)], [0.2, 0.1, 0, 0.5, 0.4, 0.3].map(Math.fround));
  });

  it('wrong-shape models produce the shapes they are named for', async () => {
    const input = Float32Array.from({ length: 3 * 16 }, (_, i) => i);
    assert.deepEqual((await runModel(wrongShapeModel('rank3'), input, [1, 3, 4, 4])).dims, [1, 4, 4]);
    assert.deepEqual((await runModel(wrongShapeModel('half-size'), input, [1, 3, 4, 4])).dims, [1, 1, 2, 2]);
    assert.deepEqual((await runModel(wrongShapeModel('extra-channel'), input, [1, 3, 4, 4])).dims, [1, 2, 4, 4]);
  });

  it('fixed-size model runs at its size only', async () => {
    assert.deepEqual((await runModel(fixedSizeModel(2), sample(3).subarray(0, 12), [1, 3, 2, 2])).dims, [1, 1, 2, 2]);
    await assert.rejects(runModel(fixedSizeModel(2), sample(3), [1, 3, 2, 3]));
  });

  it('the good models pass validation', () => {
    const expect = { channels: 3, outputChannels: [1], maxBytes: 1 << 20, maxInitializerBytes: 1 << 20 } as const;
    for (const bytes of [identityModel(), constantModel(0.5), nanModel(), flipModel(), fixedSizeModel(8)]) {
      assert.ok(validateModel(bytes, expect).ok);
    }
  });

  // onnxruntime would run these: only the validator stands between them and the server.
  it('runs a Loop and a local function (so their encodings are what onnxruntime reads)', async () => {
    const looped = await runModel(loopModel(), sample(3), [1, 3, 2, 3]);
    // mean over channels of (c + 0.1·p + 3) = 1 + 0.1·p + 3
    (looped.data as Float32Array).forEach((v, p) => assert.ok(Math.abs(v - (4 + 0.1 * p)) < 1e-6));
    const fn = await runModel(localFunctionModel(), sample(3), [1, 3, 2, 3]);
    (fn.data as Float32Array).forEach((v, p) => assert.ok(Math.abs(v - (1 + 0.1 * p)) < 1e-6));
  });

  it('onnxruntime sees the external-data marker our encoder writes', async () => {
    await assert.rejects(ort.InferenceSession.create(externalDataModel('initializer', 'no-such-weights.bin')), /external data/i);
  });
});
