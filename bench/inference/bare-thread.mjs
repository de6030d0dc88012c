// One worker thread of the overhead case's parallel bare reference (run.mjs `bareParallelRun`):
// loads the model with the predictor's session options, then on each message runs bare
// `session.run` on random inputs of the given batch sizes, one call each, and answers with the
// seconds it took. Nothing but onnxruntime runs here: no messages per call, no checks.
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';

const { model, options, channels, size } = workerData;
const session = await ort.InferenceSession.create(model, options);
const [input] = session.inputNames;
const [output] = session.outputNames;
const inputs = new Map();
const feedOf = (n) => {
  if (!inputs.has(n)) {
    const data = new Float32Array(n * channels * size * size);
    for (let i = 0; i < data.length; i++) data[i] = Math.random() * 4 - 2;
    inputs.set(n, new ort.Tensor('float32', data, [n, channels, size, size]));
  }
  return inputs.get(n);
};
parentPort.on('message', async (batches) => {
  for (const n of new Set(batches)) feedOf(n);
  const start = performance.now();
  for (const n of batches) await session.run({ [input]: feedOf(n) }, [output]);
  parentPort.postMessage((performance.now() - start) / 1000);
});
parentPort.postMessage('ready');
