// The worker-thread side of `createPredictor`: holds one onnxruntime session per ensemble member,
// runs them one batch at a time, and checks and averages their outputs. Started by session.ts only.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { decodeModel, encodeModel, OnnxDataType, type OnnxModel } from './onnx-proto.js';
import type { PredictorErrorCode } from './session.js';
import { safetyProblems } from './validate.js';

export interface ThreadConfig {
  models: Uint8Array[];
  outputKind: 'logits' | 'probabilities';
  outputChannels: number | undefined;
  intraOpThreads: number | undefined;
  executionProvider: 'cpu' | 'cuda';
  deviceId: number;
  spinning: boolean;
}

export type ToThread =
  // `output`: an earlier output the caller is done with, to copy this run's output into when it has its length.
  | { type: 'run'; id: number; input: Float32Array; batch: number; channels: number; size: number; output?: Float32Array }
  | { type: 'close' };

export type FromThread =
  | { type: 'ready'; outputChannels: number }
  | { type: 'failed'; code: PredictorErrorCode; message: string }
  // `input`: the run's input, moved back for the caller to reuse (absent when it cannot be moved).
  | { type: 'result'; id: number; output: Float32Array; input?: Float32Array }
  | { type: 'error'; id: number; code: PredictorErrorCode; message: string };

class ThreadError extends Error {
  constructor(
    readonly code: PredictorErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What a loaded predictor thread holds. */
interface Loaded {
  members: Member[];
  outputChannels: number;
}

interface Member {
  session: ort.InferenceSession;
  inputName: string;
  /** The output fetched: the model's own, or for logits the Sigmoid appended to it (see `withSigmoid`). */
  outputName: string;
  /** "model 2 of 3: " in an ensemble, "" for a single model. */
  label: string;
  /** A batch size the file fixes (an export without dynamic axes: usually 1); null when symbolic. */
  fixedBatch: number | null;
}

async function load(models: Uint8Array[], config: ThreadConfig): Promise<Member[]> {
  const count = models.length;
  const labelOf = (i: number) => (count > 1 ? `model ${i + 1} of ${count}: ` : '');
  // The safety checks first, so that onnxruntime never sees a model that names an external file.
  const decoded = models.map((bytes, i) => {
    let model: OnnxModel;
    try {
      model = decodeModel(bytes);
    } catch (error) {
      throw new ThreadError('MODEL_LOAD_FAILED', `${labelOf(i)}not an ONNX model (${errorMessage(error)})`);
    }
    const problems = safetyProblems(model);
    if (problems.length > 0) {
      throw new ThreadError('MODEL_REFUSED', `${labelOf(i)}${problems.map((p) => p.message).join('; ')}`);
    }
    const outputs = model.graph?.output ?? [];
    if (outputs.length !== 1) {
      throw new ThreadError('MODEL_REFUSED', `${labelOf(i)}the model has ${outputs.length} outputs; it must have one`);
    }
    return model;
  });
  if (config.executionProvider === 'cuda') checkCudaInstalled();

  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: config.executionProvider === 'cuda' ? [{ name: 'cuda', deviceId: config.deviceId }] : ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    logSeverityLevel: 3, // errors only: a student's model may make onnxruntime warn on every run
    ...(config.intraOpThreads !== undefined ? { intraOpNumThreads: config.intraOpThreads } : {}),
    // onnxruntime's session config key session.intra_op.allow_spinning (see PredictorOptions.spinning).
    ...(config.spinning ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  };
  const loaded: Member[] = [];
  try {
    for (const [i, bytes] of models.entries()) {
      const label = labelOf(i);
      const sigmoid = config.outputKind === 'logits' ? withSigmoid(bytes, decoded[i]!) : null;
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(sigmoid?.bytes ?? bytes, options);
      } catch (error) {
        throw loadError(error, label, config);
      }
      const n = session.inputMetadata[0]?.isTensor ? session.inputMetadata[0].shape[0] : undefined;
      loaded.push({ session, inputName: session.inputNames[0] ?? '', outputName: sigmoid?.output ?? session.outputNames[0] ?? '', label, fixedBatch: typeof n === 'number' && n > 0 ? n : null });
      if (session.inputNames.length !== 1) {
        throw new ThreadError('MODEL_REFUSED', `${label}the model has ${session.inputNames.length} inputs; it must have one`);
      }
    }
  } catch (error) {
    await release(loaded);
    throw error;
  }
  return loaded;
}

/** The output channel count the members agree on (or the caller's), from the shapes the files declare. */
function checkDeclaredOutputs(members: Member[], expected: number | undefined): number {
  let channels = expected;
  for (const { session, label } of members) {
    const meta = session.outputMetadata[0];
    if (!meta?.isTensor) throw new ThreadError('MODEL_OUTPUT_TYPE', `${label}the model's output is not a tensor`);
    if (meta.type !== 'float32') {
      throw new ThreadError('MODEL_OUTPUT_TYPE', `${label}the model's output is ${meta.type}; it must be float32`);
    }
    if (meta.shape.length === 0) continue; // undeclared: checked on every run
    if (meta.shape.length !== 4) {
      throw new ThreadError('MODEL_OUTPUT_SHAPE', `${label}the model's output has rank ${meta.shape.length}; it must be rank 4, N×K×H×W`);
    }
    const declared = meta.shape[1];
    if (typeof declared === 'number' && declared > 0) {
      if (channels === undefined) channels = declared;
      else if (declared !== channels) {
        throw new ThreadError(
          'MODEL_OUTPUT_SHAPE',
          `${label}the model's output has ${declared} channels; ${expected !== undefined ? 'the competition expects' : 'the other ensemble members have'} ${channels}`,
        );
      }
    }
  }
  if (channels === undefined) {
    // The caller's omission, not the model's: every output channel count is symbolic.
    throw new ThreadError('MODEL_OUTPUT_SHAPE', "the model's output channel count is not fixed in the file; pass outputChannels to createPredictor");
  }
  return channels;
}

async function predict(request: Extract<ToThread, { type: 'run' }>, loaded: Loaded): Promise<Float32Array> {
  const { members, outputChannels } = loaded;
  const { input, batch, channels, size } = request;
  const feed = new ort.Tensor('float32', input, [batch, channels, size, size]);
  // onnxruntime hands each output over in a fresh buffer of its own: the members are summed into the first.
  let sum: Float32Array | null = null;
  for (const member of members) {
    const values = await runMember(member, feed, batch, outputChannels, size);
    if (sum === null) sum = values;
    else for (let i = 0; i < sum.length; i++) sum[i] += values[i];
  }
  const output = sum!;
  if (members.length > 1) {
    const scale = 1 / members.length;
    for (let i = 0; i < output.length; i++) output[i] *= scale;
  }
  // Transferable only when the array spans its whole buffer.
  return output.byteOffset === 0 && output.byteLength === output.buffer.byteLength ? output : output.slice();
}

/**
 * The model with logits turned into probabilities, 1 / (1 + e^-x), inside its own graph: the bytes
 * as uploaded, followed by a ModelProto fragment whose graph holds one Sigmoid node on the model's
 * output and a new graph output for it. A protobuf parser merges a second occurrence of a message
 * field (the graph) into the first, appending to its repeated fields, so onnxruntime reads one graph
 * with the node and the output added at the end; nothing of the student's file is decoded and
 * re-encoded. The run then fetches only the new output.
 *
 * The same work as a one-node Sigmoid session run after the model, without that second run: each
 * call costs one onnxruntime run instead of two, and the logits are never copied out (on the HuBMAP
 * baseline, 6 patches of 320 px a call, the second run took 1.5 ms a call). Infinite logits become
 * 0 or 1, which are probabilities; NaN stays NaN and is refused.
 */
function withSigmoid(bytes: Uint8Array, model: OnnxModel): { bytes: Uint8Array; output: string } | null {
  const graph = model.graph ?? {};
  const declared = graph.output?.[0]?.type?.tensor_type;
  // Another declared type is refused with its name by `checkDeclaredOutputs`, not by a Sigmoid that cannot take it.
  if (declared?.elem_type && declared.elem_type !== OnnxDataType.FLOAT) return null;
  const logits = graph.output?.[0]?.name ?? '';
  // A name of the graph's own would make the appended node a second producer of that value.
  const taken = new Set<string>([
    ...(graph.input ?? []).map((v) => v.name ?? ''),
    ...(graph.output ?? []).map((v) => v.name ?? ''),
    ...(graph.value_info ?? []).map((v) => v.name ?? ''),
    ...(graph.initializer ?? []).map((t) => t.name ?? ''),
    ...(graph.node ?? []).flatMap((n) => [...(n.output ?? []), n.name ?? '']),
  ]);
  let output = 'holdout_probabilities';
  for (let k = 1; taken.has(output); k++) output = `holdout_probabilities_${k}`;
  const dims = declared?.shape;
  const fragment = encodeModel({
    graph: {
      node: [{ op_type: 'Sigmoid', input: [logits], output: [output], name: output }],
      output: [{ name: output, type: { tensor_type: { elem_type: OnnxDataType.FLOAT, ...(dims ? { shape: dims } : {}) } } }],
    },
  });
  const joined = new Uint8Array(bytes.length + fragment.length);
  joined.set(bytes);
  joined.set(fragment, bytes.length);
  return { bytes: joined, output };
}

/**
 * One member's checked output: N×K×S×S float32, every value finite. A member whose file fixes the
 * batch size (PyTorch's export without dynamic axes fixes it at 1) is run on slices of that size,
 * the last one padded with zeros, and the outputs joined: such a model is the student's ordinary
 * export, not a fault.
 */
async function runMember(member: Member, feed: ort.Tensor, batch: number, outputChannels: number, size: number): Promise<Float32Array> {
  const n = member.fixedBatch;
  if (n === null || n === batch) return runOnce(member, feed, batch, outputChannels, size);
  const channels = feed.dims[1]!;
  const input = feed.data as Float32Array;
  const inPlane = channels * size * size;
  const outPlane = outputChannels * size * size;
  const output = new Float32Array(batch * outPlane);
  for (let start = 0; start < batch; start += n) {
    const count = Math.min(n, batch - start);
    const slice = new Float32Array(n * inPlane);
    slice.set(input.subarray(start * inPlane, (start + count) * inPlane));
    const values = await runOnce(member, new ort.Tensor('float32', slice, [n, channels, size, size]), n, outputChannels, size);
    output.set(values.subarray(0, count * outPlane), start * outPlane);
  }
  return output;
}

async function runOnce(member: Member, feed: ort.Tensor, batch: number, outputChannels: number, size: number): Promise<Float32Array> {
  const { session, inputName, outputName, label } = member;
  let result: ort.InferenceSession.ReturnType;
  try {
    result = await session.run({ [inputName]: feed }, [outputName]);
  } catch (error) {
    throw new ThreadError('MODEL_RUN_FAILED', `${label}onnxruntime failed to run the model: ${firstLine(errorMessage(error))}`);
  }
  const tensor = result[outputName];
  if (!tensor) throw new ThreadError('MODEL_RUN_FAILED', `${label}the model returned no output ${JSON.stringify(outputName)}`);
  if (tensor.type !== 'float32') {
    throw new ThreadError('MODEL_OUTPUT_TYPE', `${label}the model's output is ${tensor.type}; it must be float32`);
  }
  const dims = tensor.dims;
  const expected = [batch, outputChannels, size, size];
  if (dims.length !== 4 || dims.some((d, i) => d !== expected[i])) {
    throw new ThreadError(
      'MODEL_OUTPUT_SHAPE',
      `${label}the model's output is ${dims.join('×')} for a ${batch}×${feed.dims[1]}×${size}×${size} input; ` +
        `it must be ${expected.join('×')} (the input's batch, height and width, ${outputChannels} channel${outputChannels === 1 ? '' : 's'})`,
    );
  }
  const values = tensor.data as Float32Array;
  checkFinite(values, expected, label);
  return values;
}

function checkFinite(values: Float32Array, dims: number[], label: string): void {
  if (allFinite(values)) return;
  let nan = 0;
  let infinite = 0;
  let first = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) {
      // NaN - NaN and ±Infinity - ±Infinity are NaN; finite v - v is 0.
      if (Number.isNaN(v)) nan++;
      else infinite++;
      if (first < 0) first = i;
    }
  }
  if (first < 0) return;
  const [, k, s] = dims as [number, number, number, number];
  const column = first % s;
  const row = Math.floor(first / s) % s;
  const channel = Math.floor(first / (s * s)) % k;
  const image = Math.floor(first / (s * s * k));
  throw new ThreadError(
    'MODEL_OUTPUT_NAN',
    `${label}the model's output has ${nan} NaN and ${infinite} infinite values out of ${values.length} ` +
      `(the first at batch item ${image}, channel ${channel}, row ${row}, column ${column})`,
  );
}

/**
 * Whether every value is finite, from their sum in float64: a NaN or an infinity makes the sum NaN
 * or infinite, and finite float32 values (at most 3.4e38 each) cannot add up to an overflow. Four
 * sums, so that the additions do not wait on each other: on the model thread after every run, where
 * a value-by-value test took about three times as long (0.7–0.9 ms against 0.25–0.35 ms for 6
 * outputs of 320×320).
 */
function allFinite(values: Float32Array): boolean {
  let [s0, s1, s2, s3] = [0, 0, 0, 0];
  const whole = values.length - (values.length % 4);
  for (let i = 0; i < whole; i += 4) {
    s0 += values[i]!;
    s1 += values[i + 1]!;
    s2 += values[i + 2]!;
    s3 += values[i + 3]!;
  }
  for (let i = whole; i < values.length; i++) s0 += values[i]!;
  const sum = s0 + s1 + s2 + s3;
  return sum - sum === 0;
}

function checkCudaInstalled(): void {
  if (`${platform()}/${arch()}` !== 'linux/x64') {
    throw new ThreadError(
      'EXECUTION_PROVIDER_UNAVAILABLE',
      `onnxruntime-node has CUDA binaries for linux/x64 only; this machine is ${platform()}/${arch()}: use executionProvider 'cpu'`,
    );
  }
  const binaries = onnxruntimeBinaryDir();
  if (!existsSync(join(binaries, 'libonnxruntime_providers_cuda.so'))) {
    throw new ThreadError('EXECUTION_PROVIDER_UNAVAILABLE', `onnxruntime-node's CUDA provider is not installed (no libonnxruntime_providers_cuda.so in ${binaries}). ${CUDA_INSTALL_HINT}`);
  }
}

const CUDA_INSTALL_HINT =
  'Install it with `ONNXRUNTIME_NODE_INSTALL=1 npm rebuild onnxruntime-node`: the package\'s install script ' +
  '(node_modules/onnxruntime-node/script/install.js) downloads the CUDA 12 provider from NuGet (Microsoft.ML.OnnxRuntime.Gpu.Linux); ' +
  'an install with ONNXRUNTIME_NODE_INSTALL=skip or without network access leaves it out. The machine also needs CUDA 12 and cuDNN 9 libraries and an NVIDIA driver.';

function onnxruntimeBinaryDir(): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(entry), '..', 'bin', 'napi-v6', platform(), arch());
}

function loadError(error: unknown, label: string, config: ThreadConfig): ThreadError {
  const text = firstLine(errorMessage(error));
  if (config.executionProvider === 'cuda' && /cuda|providers_shared|shared library/i.test(text)) {
    return new ThreadError(
      'EXECUTION_PROVIDER_UNAVAILABLE',
      `onnxruntime could not start the CUDA provider on device ${config.deviceId} (${text}). ${CUDA_INSTALL_HINT}`,
    );
  }
  return new ThreadError('MODEL_LOAD_FAILED', `${label}onnxruntime could not load the model: ${text}`);
}

async function release(list: Member[]): Promise<void> {
  for (const { session } of list) await session.release().catch(() => {});
}

function send(message: FromThread, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function asThreadError(error: unknown, fallback: PredictorErrorCode): ThreadError {
  return error instanceof ThreadError ? error : new ThreadError(fallback, errorMessage(error));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** onnxruntime's messages start with a C++ source location and may run to many lines. */
function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

// ---- The thread's life: load, report, then serve runs until closed. Last in the file, so that
// every declaration above is initialised before the top-level await starts loading.

const port: MessagePort =
  parentPort ??
  (() => {
    throw new Error('session.thread.js runs as a worker thread started by createPredictor');
  })();
const loaded = await start(workerData as ThreadConfig);
if (loaded) serve(loaded);

/** Loads the models and reports 'ready', or reports 'failed' and lets the thread end. */
async function start(config: ThreadConfig): Promise<Loaded | null> {
  let members: Member[] = [];
  try {
    // Taken out of workerData so that the bytes can be freed once onnxruntime holds the models.
    members = await load(config.models.splice(0), config);
    const outputChannels = checkDeclaredOutputs(members, config.outputChannels);
    return { members, outputChannels };
  } catch (error) {
    await release(members);
    const { code, message } = asThreadError(error, 'MODEL_LOAD_FAILED');
    send({ type: 'failed', code, message });
    port.close();
    return null;
  }
}

function serve(loaded: Loaded): void {
  // Runs are queued one after another: onnxruntime already uses every intra-op thread for one run.
  let queue: Promise<void> = Promise.resolve();
  let closing = false;
  port.on('message', (message: ToThread) => {
    if (message.type === 'close') {
      closing = true;
      queue = queue.then(async () => {
        await release(loaded.members);
        port.close();
      });
      return;
    }
    queue = queue.then(async () => {
      if (closing) return; // the caller has rejected it already
      try {
        const values = await predict(message, loaded);
        // Moved back in the caller's own buffer where it sent one: onnxruntime's fresh output is then
        // collected here, where it was made, as in any run of the model, and not by the caller.
        const output = message.output?.length === values.length ? message.output : values;
        if (output !== values) output.set(values);
        // The input is done with once every member has run: it goes back to be filled again.
        const { input } = message;
        const returnable = input.buffer !== output.buffer && input.byteOffset === 0 && input.byteLength === input.buffer.byteLength;
        if (returnable) send({ type: 'result', id: message.id, output, input }, [output.buffer as ArrayBuffer, input.buffer as ArrayBuffer]);
        else send({ type: 'result', id: message.id, output }, [output.buffer as ArrayBuffer]);
      } catch (error) {
        const { code, message: text } = asThreadError(error, 'MODEL_RUN_FAILED');
        send({ type: 'error', id: message.id, code, message: text });
      }
    });
  });
  send({ type: 'ready', outputChannels: loaded.outputChannels });
}
