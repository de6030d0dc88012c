import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { attachPredictorThread, createPredictor, PredictorError, threadLayout, type PredictorErrorCode, type PredictorOptions } from './session.js';
import {
  buildModel,
  constantModel,
  customDomainModel,
  externalDataModel,
  fixedSizeModel,
  garbageBytes,
  identityModel,
  nanModel,
  node,
  tensorValue,
  wrongShapeModel,
} from './testing/graphs.js';
import type { Predictor } from './types.js';

// Every predictor a test opens is closed at the end, even when an assertion fails first.
const open: Predictor[] = [];
after(() => Promise.all(open.map((p) => p.close())));

async function predictor(options: Partial<PredictorOptions> & Pick<PredictorOptions, 'models'>): Promise<Predictor> {
  const p = await createPredictor({ outputKind: 'probabilities', intraOpThreads: 1, ...options });
  open.push(p);
  return p;
}

/** A deterministic batch: value i/total, so every pixel differs. */
function ramp(batch: number, channels: number, size: number, scale = 1): Float32Array {
  const total = batch * channels * size * size;
  return Float32Array.from({ length: total }, (_, i) => (scale * i) / total);
}

/** Channel 0 of each batch item. */
function channelZero(input: Float32Array, batch: number, channels: number, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(batch * plane);
  for (let n = 0; n < batch; n++) out.set(input.subarray(n * channels * plane, n * channels * plane + plane), n * plane);
  return out;
}

function assertClose(actual: Float32Array, expected: ArrayLike<number>, tolerance: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `value ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

async function rejectsWith(promise: Promise<unknown>, code: PredictorErrorCode, text?: RegExp): Promise<PredictorError> {
  let caught: unknown;
  await assert.rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof PredictorError, `expected a PredictorError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (text) assert.match(caught.message, text);
  return caught;
}

describe('createPredictor runs models', () => {
  it('returns input channel 0 unchanged through the identity model', async () => {
    const p = await predictor({ models: [identityModel({ channels: 3 })] });
    assert.equal(p.outputChannels, 1);
    const input = ramp(2, 3, 8);
    const output = await p.run(input, 2, 3, 8);
    assert.deepEqual(output, channelZero(input, 2, 3, 8));
  });

  it('copies a model given as a Node Buffer (whose slice() is a view): the caller\'s bytes stay whole', async () => {
    const bytes = Buffer.from(identityModel({ channels: 3 }));
    const before = Buffer.from(bytes);
    const p = await predictor({ models: [bytes] });
    assert.deepEqual(bytes, before);
    assert.equal(p.outputChannels, 1);
  });

  it('runs a model whose file fixes the batch at 1 (an export without dynamic axes) on slices of the batch', async () => {
    const p = await predictor({ models: [fixedSizeModel(8, { channels: 3 })] });
    const input = ramp(3, 3, 8);
    assert.deepEqual(await p.run(input, 3, 3, 8), channelZero(input, 3, 3, 8));
  });

  it('leaves the caller\'s input untouched and usable', async () => {
    const p = await predictor({ models: [identityModel()] });
    const input = ramp(1, 3, 4);
    const before = input.slice();
    await p.run(input, 1, 3, 4);
    assert.equal(input.length, before.length, 'the input buffer was detached');
    assert.deepEqual(input, before);
  });

  it('moves the input instead when asked to', async () => {
    const p = await predictor({ models: [identityModel({ channels: 1 })], transferInput: true });
    const input = ramp(1, 1, 4);
    const expected = input.slice();
    const output = p.run(input, 1, 1, 4);
    assert.equal(input.length, 0, 'the input should have been moved to the thread');
    assert.deepEqual(await output, expected);
    // A view into a larger buffer is copied even so: moving it would detach the whole buffer.
    const big = ramp(1, 1, 8);
    const view = big.subarray(16, 32);
    assert.deepEqual(await p.run(view, 1, 1, 4), big.slice(16, 32));
    assert.equal(big.length, 64);
  });

  it('hands a moved input back for reuse once its run is done', async () => {
    const p = await predictor({ models: [identityModel({ channels: 1 })], transferInput: true });
    const input = ramp(1, 1, 4);
    const expected = input.slice();
    assert.deepEqual(await p.run(input, 1, 1, 4), expected);
    assert.equal(input.length, 0);
    const again = p.inputBuffer!(16);
    assert.deepEqual(again, expected, 'the same buffer, back from the thread');
    assert.notEqual(p.inputBuffer!(16), again, 'each spare is handed out once');
    assert.equal(p.inputBuffer!(8).length, 8, 'a size with no spare is allocated');
    again.fill(0.25);
    assert.deepEqual(await p.run(again, 1, 1, 4), new Float32Array(16).fill(0.25));
  });

  it('writes a later output into an output handed back, of its length', async () => {
    const p = await predictor({ models: [identityModel({ channels: 1 })], transferInput: true });
    const first = await p.run(ramp(1, 1, 4), 1, 1, 4);
    const other = await p.run(ramp(1, 1, 2), 1, 1, 2);
    p.releaseOutput!(other);
    p.releaseOutput!(first);
    p.releaseOutput!(ramp(2, 1, 4).subarray(16)); // a view: not kept, it cannot be moved alone
    const input = ramp(1, 1, 4).map((v) => v + 1);
    const expected = input.slice();
    assert.deepEqual(await p.run(input, 1, 1, 4), expected);
    assert.equal(first.length, 0, 'the output handed back went to the thread to be written into');
    assert.equal(other.length, 4, 'one of another length stays');
    assert.deepEqual(await p.run(ramp(1, 1, 4), 1, 1, 4), ramp(1, 1, 4), 'with no spare left, a fresh output');
  });

  it('accepts an input that is a view into a larger buffer', async () => {
    const p = await predictor({ models: [identityModel({ channels: 1 })] });
    const big = ramp(1, 1, 16);
    const view = big.subarray(16, 32); // a 1×1×4×4 window of it
    assert.deepEqual(await p.run(view, 1, 1, 4), view);
  });

  it('denormalises channel 0 when the model computes x·std + mean', async () => {
    const p = await predictor({ models: [identityModel({ mean: 0.485, std: 0.229, outputChannels: 2 })] });
    assert.equal(p.outputChannels, 2);
    const input = ramp(1, 3, 4, 4);
    const output = await p.run(input, 1, 3, 4);
    const zero = channelZero(input, 1, 3, 4);
    const expected = [...zero, ...zero].map((x) => Math.fround(Math.fround(x * Math.fround(0.229)) + Math.fround(0.485)));
    assertClose(output, expected, 1e-6);
  });

  it('averages an ensemble: constants 0.2 and 0.6 give 0.4', async () => {
    const p = await predictor({ models: [constantModel(0.2), constantModel(0.6)] });
    const output = await p.run(ramp(3, 3, 5), 3, 3, 5);
    assertClose(output, new Array(3 * 25).fill(0.4), 1e-7);
  });

  it('applies a sigmoid to logits', async () => {
    const p = await predictor({ models: [identityModel()], outputKind: 'logits' });
    const input = ramp(1, 3, 6, 12).map((x) => x - 6);
    const output = await p.run(input, 1, 3, 6);
    assertClose(output, [...channelZero(input, 1, 3, 6)].map((x) => 1 / (1 + Math.exp(-x))), 1e-7);
  });

  it('applies the sigmoid to each member before averaging', async () => {
    const p = await predictor({ models: [constantModel(-2), constantModel(3)], outputKind: 'logits' });
    const output = await p.run(ramp(1, 3, 2), 1, 3, 2);
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    assertClose(output, new Array(4).fill((sigmoid(-2) + sigmoid(3)) / 2), 1e-7);
  });

  it('applies the sigmoid inside the graph, whatever names the graph already uses', async () => {
    // The model's own values are called what the appended Sigmoid would be called by default.
    const taken = buildModel({
      nodes: [node('Identity', ['image'], ['holdout_probabilities']), node('Neg', ['holdout_probabilities'], ['holdout_probabilities_1']), node('Neg', ['holdout_probabilities_1'], ['mask'])],
      inputs: [tensorValue('image', ['N', 1, 'H', 'W'])],
      outputs: [tensorValue('mask', ['N', 1, 'H', 'W'])],
    });
    const p = await predictor({ models: [taken], outputKind: 'logits' });
    const input = ramp(1, 1, 4, 8).map((x) => x - 4);
    assertClose(await p.run(input, 1, 1, 4), [...input].map((x) => 1 / (1 + Math.exp(-x))), 1e-7);
  });

  it('takes infinite logits as certain probabilities and still refuses NaN logits', async () => {
    const certain = await predictor({ models: [constantModel(Infinity), constantModel(-Infinity)], outputKind: 'logits' });
    assert.deepEqual([...(await certain.run(ramp(1, 3, 2), 1, 3, 2))], [0.5, 0.5, 0.5, 0.5]);
    const broken = await predictor({ models: [nanModel()], outputKind: 'logits' });
    await rejectsWith(broken.run(ramp(1, 3, 2), 1, 3, 2), 'MODEL_OUTPUT_NAN', /4 NaN and 0 infinite values out of 4/);
  });

  it('refuses logits of another type by name, not with a Sigmoid that cannot take them', async () => {
    const halves = buildModel({
      nodes: [node('Cast', ['image'], ['mask'], [{ name: 'to', type: 2, i: 10 }])],
      inputs: [tensorValue('image', ['N', 1, 'H', 'W'])],
      outputs: [tensorValue('mask', ['N', 1, 'H', 'W'], 10)],
    });
    await rejectsWith(createPredictor({ models: [halves], outputKind: 'logits' }), 'MODEL_OUTPUT_TYPE', /output is float16; it must be float32/);
  });

  it('answers concurrent runs each with its own result', async () => {
    const p = await predictor({ models: [identityModel({ channels: 1 })] });
    const inputs = [1, 2, 3, 4].map((k) => ramp(1, 1, 4, k));
    const outputs = await Promise.all(inputs.map((x) => p.run(x, 1, 1, 4)));
    outputs.forEach((out, i) => assert.deepEqual(out, inputs[i]));
  });

  it('takes the output channel count from the caller when the file leaves it symbolic', async () => {
    // Identity with a symbolic channel count: nothing in the file fixes the output's channels.
    const passThrough = buildModel({
      nodes: [node('Identity', ['image'], ['mask'])],
      inputs: [tensorValue('image', ['N', 'C', 'H', 'W'])],
      outputs: [tensorValue('mask', ['N', 'C', 'H', 'W'])],
    });
    await rejectsWith(createPredictor({ models: [passThrough], outputKind: 'probabilities' }), 'MODEL_OUTPUT_SHAPE', /pass outputChannels/);
    const p = await predictor({ models: [passThrough], outputChannels: 2 });
    assert.equal(p.outputChannels, 2);
    const input = ramp(1, 2, 3);
    assert.deepEqual(await p.run(input, 1, 2, 3), input);
    await rejectsWith(p.run(ramp(1, 3, 3), 1, 3, 3), 'MODEL_OUTPUT_SHAPE', /1×3×3×3 for a 1×3×3×3 input; it must be 1×2×3×3/);
  });
});

describe('createPredictor refuses', () => {
  it('a model producing NaN, as a model fault', async () => {
    const p = await predictor({ models: [nanModel()] });
    const error = await rejectsWith(p.run(ramp(2, 3, 4), 2, 3, 4), 'MODEL_OUTPUT_NAN', /32 NaN and 0 infinite values out of 32 \(the first at batch item 0, channel 0, row 0, column 0\)/);
    assert.equal(error.modelFault, true);
  });

  it('a model producing Infinity, naming the ensemble member', async () => {
    const p = await predictor({ models: [constantModel(0.5), constantModel(Infinity)] });
    await rejectsWith(p.run(ramp(1, 3, 4), 1, 3, 4), 'MODEL_OUTPUT_NAN', /^model 2 of 2: .*0 NaN and 16 infinite/);
  });

  it('an output of half the input size', async () => {
    const p = await predictor({ models: [wrongShapeModel('half-size')] });
    await rejectsWith(p.run(ramp(1, 3, 8), 1, 3, 8), 'MODEL_OUTPUT_SHAPE', /output is 1×1×4×4 for a 1×3×8×8 input; it must be 1×1×8×8/);
  });

  it('keeps running after a run that failed', async () => {
    const p = await predictor({ models: [wrongShapeModel('half-size')] });
    await rejectsWith(p.run(ramp(1, 3, 8), 1, 3, 8), 'MODEL_OUTPUT_SHAPE');
    await rejectsWith(p.run(ramp(1, 3, 8), 1, 3, 8), 'MODEL_OUTPUT_SHAPE');
  });

  it('an input the model cannot take, as a run failure', async () => {
    const p = await predictor({ models: [identityModel({ channels: 3 })] });
    await rejectsWith(p.run(ramp(1, 1, 4), 1, 1, 4), 'MODEL_RUN_FAILED', /onnxruntime failed to run the model/);
  });

  const atCreation: Array<[string, Partial<PredictorOptions> & Pick<PredictorOptions, 'models'>, PredictorErrorCode, RegExp]> = [
    ['a rank-3 output', { models: [wrongShapeModel('rank3')] }, 'MODEL_OUTPUT_SHAPE', /rank 3/],
    // onnxruntime infers the channel count the file leaves symbolic (2, from the Conv's weight).
    ['an inferred channel count other than expected', { models: [wrongShapeModel('extra-channel')], outputChannels: 1 }, 'MODEL_OUTPUT_SHAPE', /2 channels; the competition expects 1/],
    ['a declared channel count other than expected', { models: [identityModel({ outputChannels: 2 })], outputChannels: 1 }, 'MODEL_OUTPUT_SHAPE', /2 channels; the competition expects 1/],
    ['ensemble members that disagree on channels', { models: [identityModel(), identityModel({ outputChannels: 3 })] }, 'MODEL_OUTPUT_SHAPE', /^model 2 of 2: .*3 channels; the other ensemble members have 1/],
    ['bytes that are not a model', { models: [garbageBytes()] }, 'MODEL_LOAD_FAILED', /not an ONNX model/],
    ['external data, before onnxruntime sees the file', { models: [identityModel(), externalDataModel('initializer', 'weights.bin')] }, 'MODEL_REFUSED', /^model 2 of 2: .*"weights\.bin"/],
    ['a vendor operator', { models: [customDomainModel()] }, 'MODEL_REFUSED', /com\.microsoft/],
  ];
  for (const [name, options, code, text] of atCreation) {
    it(name, async () => {
      const error = await rejectsWith(createPredictor({ outputKind: 'probabilities', intraOpThreads: 1, ...options }), code, text);
      assert.equal(error.modelFault, true);
    });
  }

  it('CUDA when its binaries are not installed, saying how to install them', async (t) => {
    const binaries = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', platform(), arch());
    if (existsSync(join(binaries, 'libonnxruntime_providers_cuda.so'))) {
      t.skip('the CUDA provider is installed here');
      return;
    }
    const error = await rejectsWith(
      createPredictor({ models: [identityModel()], outputKind: 'probabilities', executionProvider: 'cuda' }),
      'EXECUTION_PROVIDER_UNAVAILABLE',
      /ONNXRUNTIME_NODE_INSTALL=1 npm rebuild onnxruntime-node|linux\/x64 only/,
    );
    assert.equal(error.modelFault, false);
  });

  it('bad arguments, as programming errors', async () => {
    await assert.rejects(createPredictor({ models: [], outputKind: 'logits' }), RangeError);
    await assert.rejects(createPredictor({ models: [identityModel()], outputKind: 'logits', intraOpThreads: 0 }), RangeError);
    const p = await predictor({ models: [identityModel()] });
    await assert.rejects(p.run(new Float32Array(10), 1, 3, 4), /input has 10 values, expected 1×3×4×4 = 48/);
  });
});

describe('parallel runs', () => {
  it('splits the threads into runs at once: two on the CPU, one on CUDA or where the intra-op threads are given', () => {
    assert.deepEqual(threadLayout({ threads: 2 }), { parallelRuns: 2, intraOpThreads: 1 });
    assert.deepEqual(threadLayout({ threads: 16 }), { parallelRuns: 2, intraOpThreads: 8 });
    assert.deepEqual(threadLayout({ threads: 5 }), { parallelRuns: 2, intraOpThreads: 2 });
    assert.deepEqual(threadLayout({ threads: 1 }), { parallelRuns: 1, intraOpThreads: 1 });
    assert.deepEqual(threadLayout({ threads: 8, executionProvider: 'cuda' }), { parallelRuns: 1, intraOpThreads: 8 });
    assert.deepEqual(threadLayout({ intraOpThreads: 3 }), { parallelRuns: 1, intraOpThreads: 3 });
    assert.deepEqual(threadLayout({ threads: 8, parallelRuns: 4 }), { parallelRuns: 4, intraOpThreads: 2 });
    assert.deepEqual(threadLayout({ threads: 2, parallelRuns: 1 }), { parallelRuns: 1, intraOpThreads: 2 });
  });

  it('runs calls on each thread at once, every output that of its own input', async () => {
    const p = await predictor({ models: [identityModel({ channels: 1 })], intraOpThreads: undefined, threads: 3, parallelRuns: 3 });
    assert.equal(p.parallelRuns, 3);
    // Nine calls in flight together, each a different input: each answer is its own input.
    const inputs = Array.from({ length: 9 }, (_, k) => ramp(2, 1, 16, k + 1));
    const outputs = await Promise.all(inputs.map((input) => p.run(input, 2, 1, 16)));
    outputs.forEach((output, k) => assert.deepEqual(output, inputs[k]));
  });

  it('a refused model fails createPredictor with its reason, whatever the number of threads', async () => {
    await rejectsWith(
      createPredictor({ models: [customDomainModel()], outputKind: 'probabilities', threads: 2, parallelRuns: 2 }),
      'MODEL_REFUSED',
      /com\.microsoft/,
    );
  });

  it('a crash of one thread ends the predictor, and close() ends the others', async () => {
    const ready = `require('node:worker_threads').parentPort.postMessage({ type: 'ready', outputChannels: 1 });
      require('node:worker_threads').parentPort.on('message', (m) => { if (m.type === 'close') process.exit(0); });`;
    const crashes = `const { parentPort } = require('node:worker_threads');
      parentPort.on('message', (m) => { if (m.type === 'run') throw new Error('simulated fault'); });
      parentPort.postMessage({ type: 'ready', outputChannels: 1 });`;
    const healthy = new Worker(ready, { eval: true });
    const p = await attachPredictorThread([new Worker(crashes, { eval: true }), healthy]);
    assert.equal(p.parallelRuns, 2);
    // The first call goes to the first thread, which crashes on it.
    await rejectsWith(p.run(ramp(1, 1, 2), 1, 1, 2), 'PREDICTOR_CRASHED', /simulated fault/);
    await rejectsWith(p.run(ramp(1, 1, 2), 1, 1, 2), 'PREDICTOR_CRASHED');
    const exited = new Promise((resolve) => healthy.once('exit', resolve));
    await p.close();
    assert.equal(await exited, 0);
  });
});

describe('Predictor.close', () => {
  it('refuses runs afterwards and may be called twice', async () => {
    const p = await createPredictor({ models: [identityModel()], outputKind: 'probabilities', intraOpThreads: 1 });
    await p.close();
    await p.close();
    await rejectsWith(p.run(ramp(1, 3, 4), 1, 3, 4), 'PREDICTOR_CLOSED');
  });

  it('rejects runs still pending instead of leaving them hanging', async () => {
    const p = await createPredictor({ models: [identityModel()], outputKind: 'probabilities', intraOpThreads: 1 });
    const runs = [1, 2, 3].map(() => p.run(ramp(4, 3, 64), 4, 3, 64));
    // Closed before the thread can answer any of them: each is rejected, and close() still
    // resolves once the thread has finished what it had started and ended.
    const closed = p.close();
    for (const run of runs) await rejectsWith(run, 'PREDICTOR_CLOSED');
    await closed;
  });

  it('lets the process exit, with or without close()', async () => {
    const session = new URL('./session.js', import.meta.url).href;
    const graphs = new URL('./testing/graphs.js', import.meta.url).href;
    const script = `
      import { createPredictor } from ${JSON.stringify(session)};
      import { identityModel } from ${JSON.stringify(graphs)};
      const closed = await createPredictor({ models: [identityModel()], outputKind: 'probabilities', intraOpThreads: 1 });
      await closed.run(new Float32Array(48), 1, 3, 4);
      await closed.close();
      const forgotten = await createPredictor({ models: [identityModel()], outputKind: 'probabilities', intraOpThreads: 1 });
      const out = await forgotten.run(new Float32Array(48).fill(0.5), 1, 3, 4);
      console.log('done', out[0]);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
    assert.equal(stdout.trim(), 'done 0.5');
  });
});

describe('a crashed inference thread', () => {
  // A stand-in thread speaking the protocol: ready at once, then an uncaught error on the first run
  // (what a fault in the thread's own code looks like from the caller's side).
  const crashesOnRun = `
    const { parentPort } = require('node:worker_threads');
    parentPort.on('message', (m) => { if (m.type === 'run') throw new Error('simulated fault'); });
    parentPort.postMessage({ type: 'ready', outputChannels: 1 });
  `;

  it('rejects the pending run and every later one, as an infrastructure fault', async () => {
    const p = await attachPredictorThread(new Worker(crashesOnRun, { eval: true }));
    const error = await rejectsWith(p.run(ramp(1, 1, 2), 1, 1, 2), 'PREDICTOR_CRASHED', /simulated fault/);
    assert.equal(error.modelFault, false);
    await rejectsWith(p.run(ramp(1, 1, 2), 1, 1, 2), 'PREDICTOR_CRASHED');
    await p.close();
  });

  it('fails startup when the thread exits before it is ready', async () => {
    const worker = new Worker('process.exit(3)', { eval: true });
    await rejectsWith(attachPredictorThread(worker), 'PREDICTOR_CRASHED', /exit code 3/);
  });
});
