// A Predictor backed by onnxruntime-node, running on worker threads of its own (one per call it runs
// at once): onnxruntime's `session.run` is synchronous native code, and the API and worker processes
// hold BullMQ locks on their event loop, which a minute-long run would stall.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ThreadConfig, FromThread, ToThread } from './session.thread.js';
import type { Predictor } from './types.js';

export interface PredictorOptions {
  /** One model, or several: an ensemble whose probabilities are averaged. The bytes are copied unless `transferModels`. */
  models: readonly Uint8Array[];
  /**
   * Move each model's bytes to the inference thread instead of copying them: a model that spans its
   * own ArrayBuffer is detached (length 0) once createPredictor is called; a view into a larger
   * buffer is still copied. For callers done with the bytes (the worker, after `checkModelFor`).
   */
  transferModels?: boolean;
  /** `logits` get a sigmoid (inside each model's graph) before averaging; `probabilities` are averaged as they are. */
  outputKind: 'logits' | 'probabilities';
  /**
   * Expected output channels (PipelineConfig.output.channels). Optional when every model fixes its
   * channel count in the file; each run's output is checked against it.
   */
  outputChannels?: number;
  /**
   * CPU threads the predictor may keep busy (default: the machine's CPUs, `os.availableParallelism`),
   * split among its `parallelRuns` unless `intraOpThreads` is given.
   */
  threads?: number;
  /**
   * onnxruntime's intra-op thread count of each run; default `threads` / `parallelRuns`, at least 1.
   * onnxruntime's own default kept one of this 2-core machine's cores idle: the HuBMAP baseline over
   * a full-scale slide took 85 s with it, 61 s with 2 threads.
   */
  intraOpThreads?: number;
  /**
   * Calls run at once, each on an inference thread of its own holding its own sessions; a pipeline
   * keeps this many calls in flight, sharing its batch among them. Default on the CPU: 2 where
   * `threads` is 2 or more (1 where `intraOpThreads` is given); on CUDA 1.
   *
   * onnxruntime splits each operator among its intra-op threads and waits for the slowest part, so
   * when the pipeline's reads and blending take a core from one of them, the other waits too; two
   * single-threaded runs, each going at its own pace, lose only the time the pipeline takes. On 2
   * cores the HuBMAP pipeline ran about 12 % faster with 2 runs of 1 thread and half the batch each
   * than with 1 run of 2 threads and the whole batch, and peaked lower on the memory benchmark's
   * 20000×30000 slide (750 MB against 820 MB): each run's sessions keep onnxruntime's working memory
   * of their own, sized by their batch (bench/inference/README.md).
   */
  parallelRuns?: number;
  /**
   * Let onnxruntime's intra-op threads busy-wait between operators (onnxruntime's own default).
   * Default false: the pipeline reads, augments and blends the next batches on the same cores
   * while the model runs, and a spinning thread takes a core from that work (and from the other
   * processes of a shared host). Measured with the HuBMAP baseline on 2 cores: the same wall time
   * per run, about 28 % less CPU.
   */
  spinning?: boolean;
  /** Default `cpu`. `cuda` needs onnxruntime-node's CUDA 12 provider binaries (not installed by default here). */
  executionProvider?: 'cpu' | 'cuda';
  /** GPU index for `cuda` (default 0). */
  deviceId?: number;
  /**
   * Move each run's input to the inference thread instead of copying it: the caller's Float32Array
   * is detached (length 0) once run() returns. For callers that build a fresh batch per run; a
   * copy of a 512×512×3×16 batch costs tens of milliseconds on the calling thread. Default false.
   */
  transferInput?: boolean;
}

export type PredictorErrorCode =
  | 'MODEL_REFUSED' // the model failed the safety checks (custom operators, external data, …)
  | 'MODEL_LOAD_FAILED' // onnxruntime could not load the model
  | 'MODEL_RUN_FAILED' // onnxruntime failed while running the model (e.g. a shape error inside the graph)
  | 'MODEL_OUTPUT_TYPE' // the output is not float32
  | 'MODEL_OUTPUT_SHAPE' // the output is not N×K×S×S for an N×C×S×S input, or K is not the expected count
  | 'MODEL_OUTPUT_NAN' // the output holds NaN, or ±Infinity where it is probabilities (infinite logits are probabilities of 0 or 1)
  | 'EXECUTION_PROVIDER_UNAVAILABLE' // CUDA requested but its binaries or drivers are missing
  | 'PREDICTOR_CRASHED' // the inference thread died
  | 'PREDICTOR_CLOSED'; // run() after (or during) close()

/** Codes that are the submitted model's fault: fail the submission without retrying (charged like a crashed kernel). */
const MODEL_FAULT: Record<PredictorErrorCode, boolean> = {
  MODEL_REFUSED: true,
  MODEL_LOAD_FAILED: true,
  MODEL_RUN_FAILED: true,
  MODEL_OUTPUT_TYPE: true,
  MODEL_OUTPUT_SHAPE: true,
  MODEL_OUTPUT_NAN: true,
  EXECUTION_PROVIDER_UNAVAILABLE: false,
  PREDICTOR_CRASHED: false,
  PREDICTOR_CLOSED: false,
};

export class PredictorError extends Error {
  override readonly name = 'PredictorError';
  /** True when the submitted model is at fault (an unrecoverable job failure); false for infrastructure faults. */
  readonly modelFault: boolean;
  constructor(
    readonly code: PredictorErrorCode,
    message: string,
  ) {
    super(message);
    this.modelFault = MODEL_FAULT[code];
  }
}

/**
 * Loads the model(s) on `parallelRuns` new worker threads and resolves once onnxruntime has accepted
 * them on each; rejects with a PredictorError when a model is refused or fails to load. Call
 * `close()` when done: it ends the threads and frees the sessions (an idle predictor does not keep
 * the process alive, but holds the models' memory until closed).
 */
export async function createPredictor(options: PredictorOptions): Promise<Predictor> {
  const { models, outputKind, outputChannels, executionProvider = 'cpu', deviceId = 0, transferInput = false, transferModels = false, spinning = false } = options;
  if (models.length === 0) throw new RangeError('createPredictor needs at least one model');
  if (outputChannels !== undefined && !isPositiveInteger(outputChannels)) {
    throw new RangeError(`outputChannels must be a positive integer, got ${outputChannels}`);
  }
  for (const key of ['threads', 'intraOpThreads', 'parallelRuns'] as const) {
    const value = options[key];
    if (value !== undefined && !isPositiveInteger(value)) throw new RangeError(`${key} must be a positive integer, got ${value}`);
  }
  if (!Number.isInteger(deviceId) || deviceId < 0) throw new RangeError(`deviceId must be a non-negative integer, got ${deviceId}`);
  const { parallelRuns, intraOpThreads } = threadLayout(options);

  // Copy each model once into a buffer of its own and move that to a thread: structured cloning
  // would copy the whole underlying ArrayBuffer, and transferring the caller's would detach it.
  // Uint8Array.prototype.slice, not the receiver's own: a Node Buffer's slice() is a view, and the transfer below would empty the caller's buffer.
  const workers = Array.from({ length: parallelRuns }, (_, k) => {
    // The last thread may take the caller's own buffers; every other one gets copies.
    const copies = models.map((m) => (k === parallelRuns - 1 && transferModels && spansBuffer(m) ? m : Uint8Array.prototype.slice.call(m)));
    const config: ThreadConfig = { models: copies, outputKind, outputChannels, intraOpThreads, executionProvider, deviceId, spinning };
    return new Worker(new URL('./session.thread.js', import.meta.url), {
      // Workers inherit the process's flags, but refuse --input-type (set by `node --input-type=module -e`).
      execArgv: process.execArgv.filter((arg, i, all) => !arg.startsWith('--input-type') && all[i - 1] !== '--input-type'),
      workerData: config,
      transferList: copies.map((c) => c.buffer as ArrayBuffer),
    });
  });
  return ThreadPredictor.start(workers, transferInput);
}

/** How `createPredictor` splits its threads (see PredictorOptions): runs at once, and onnxruntime threads each. */
export function threadLayout(options: Pick<PredictorOptions, 'threads' | 'intraOpThreads' | 'parallelRuns' | 'executionProvider'>): {
  parallelRuns: number;
  intraOpThreads: number;
} {
  const threads = options.threads ?? availableParallelism();
  const parallelRuns =
    options.parallelRuns ?? (options.executionProvider === 'cuda' || options.intraOpThreads !== undefined ? 1 : Math.min(DEFAULT_PARALLEL_RUNS, threads));
  return { parallelRuns, intraOpThreads: options.intraOpThreads ?? Math.max(1, Math.floor(threads / parallelRuns)) };
}

/** Runs at once on the CPU by default (see PredictorOptions.parallelRuns). */
const DEFAULT_PARALLEL_RUNS = 2;

/**
 * Wraps started session threads (ones that speak session.thread.ts's protocol) as one Predictor
 * that runs a call on each at once.
 * @internal exported for tests, which stand in a thread that crashes on cue.
 */
export function attachPredictorThread(workers: Worker | Worker[], options: { transferInput?: boolean } = {}): Promise<Predictor> {
  return ThreadPredictor.start(Array.isArray(workers) ? workers : [workers], options.transferInput ?? false);
}

interface PendingRun {
  resolve(output: Float32Array): void;
  reject(error: Error): void;
  /** The thread running it. */
  thread: InferenceThread;
}

/** One inference thread (its runs are those of `pending` that name it). */
interface InferenceThread {
  worker: Worker;
  ready: boolean;
  exited: Promise<void>;
}

/** Whether the view spans the whole of an ArrayBuffer: only then can it be moved to a thread without moving (and detaching) more. */
function spansBuffer(view: ArrayBufferView): boolean {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength && view.buffer instanceof ArrayBuffer;
}

/** Takes the first array of `length` out of `list`, if any. */
function takeOfLength(list: Float32Array[], length: number): Float32Array | undefined {
  const at = list.findIndex((b) => b.length === length);
  return at < 0 ? undefined : list.splice(at, 1)[0];
}

/** Input buffers kept for reuse, past those of the calls in flight: the pipeline prepares one batch ahead. */
const SPARE_INPUTS = 2;
/** Outputs handed back kept for reuse, past one a thread: the pipeline blends one while the threads run. */
const SPARE_OUTPUTS = 2;

class ThreadPredictor implements Predictor {
  private channels = 0;
  /** Inputs of finished runs, moved back by the threads, newest last. */
  private readonly spare: Float32Array[] = [];
  /** Outputs the caller handed back (`releaseOutput`), newest last. */
  private readonly spareOutputs: Float32Array[] = [];
  private readonly pending = new Map<number, PendingRun>();
  private readonly threads: InferenceThread[];
  private nextId = 0;
  /** Set once the threads can no longer run anything; every later run() rejects with it. */
  private ended: PredictorError | null = null;
  private closing: Promise<void> | null = null;
  private startup: { resolve(p: ThreadPredictor): void; reject(e: Error): void } | null = null;

  private constructor(
    workers: Worker[],
    private readonly transferInput: boolean,
  ) {
    this.threads = workers.map((worker) => {
      let markExited = () => {};
      const thread: InferenceThread = { worker, ready: false, exited: new Promise<void>((resolve) => (markExited = resolve)) };
      worker.on('message', (message: FromThread) => this.receive(thread, message));
      worker.on('error', (error) => this.end(new PredictorError('PREDICTOR_CRASHED', `the inference thread crashed: ${error.message}`)));
      worker.on('messageerror', (error) =>
        this.end(new PredictorError('PREDICTOR_CRASHED', `the inference thread sent an unreadable message: ${error.message}`)),
      );
      worker.on('exit', (code) => {
        this.end(new PredictorError('PREDICTOR_CRASHED', `the inference thread exited unexpectedly (exit code ${code})`));
        markExited();
      });
      return thread;
    });
  }

  get outputChannels(): number {
    return this.channels;
  }

  get parallelRuns(): number {
    return this.threads.length;
  }

  static start(workers: Worker[], transferInput: boolean): Promise<ThreadPredictor> {
    const predictor = new ThreadPredictor(workers, transferInput);
    return new Promise((resolve, reject) => (predictor.startup = { resolve, reject }));
  }

  run(input: Float32Array, batch: number, channels: number, size: number): Promise<Float32Array> {
    if (this.ended) return Promise.reject(new PredictorError(this.ended.code, this.ended.message));
    if (![batch, channels, size].every(isPositiveInteger)) {
      return Promise.reject(new RangeError(`batch, channels and size must be positive integers, got ${batch}, ${channels}, ${size}`));
    }
    if (input.length !== batch * channels * size * size) {
      return Promise.reject(
        new RangeError(`input has ${input.length} values, expected ${batch}×${channels}×${size}×${size} = ${batch * channels * size * size}`),
      );
    }
    const id = this.nextId++;
    // Unless told otherwise the caller keeps (and may reuse) its buffer, so a copy is moved. A view
    // into a larger buffer is always copied: moving it would move (and detach) all of its buffer.
    let sent = input;
    if (!(this.transferInput && spansBuffer(input))) {
      sent = this.takeSpare(input.length) ?? new Float32Array(input.length);
      sent.set(input);
    }
    // The thread with the fewest runs (the first of them): each runs its calls one after another.
    const running = new Map(this.threads.map((t) => [t, 0]));
    for (const run of this.pending.values()) running.set(run.thread, running.get(run.thread)! + 1);
    const thread = this.threads.reduce((best, t) => (running.get(t)! < running.get(best)! ? t : best));
    const result = new Promise<Float32Array>((resolve, reject) => this.pending.set(id, { resolve, reject, thread }));
    const output = this.takeSpareOutput(batch * this.channels * size * size);
    const transfer = [sent.buffer as ArrayBuffer, ...(output ? [output.buffer as ArrayBuffer] : [])];
    this.post(thread, { type: 'run', id, input: sent, batch, channels, size, output }, transfer);
    this.updateRef();
    return result;
  }

  inputBuffer(length: number): Float32Array {
    return this.takeSpare(length) ?? new Float32Array(length);
  }

  releaseOutput(output: Float32Array): void {
    // Only a whole buffer can be moved to a thread.
    if (!spansBuffer(output)) return;
    this.spareOutputs.push(output);
    if (this.spareOutputs.length > SPARE_OUTPUTS + this.threads.length) this.spareOutputs.shift();
  }

  private takeSpareOutput(length: number): Float32Array | undefined {
    return takeOfLength(this.spareOutputs, length);
  }

  private takeSpare(length: number): Float32Array | undefined {
    return takeOfLength(this.spare, length);
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        this.end(new PredictorError('PREDICTOR_CLOSED', 'the predictor was closed'));
        // Let each thread finish the run it is in (native code cannot be interrupted) and free its sessions.
        for (const thread of this.threads) {
          thread.worker.ref();
          this.post(thread, { type: 'close' });
        }
        await Promise.all(this.threads.map((t) => t.exited));
      })();
    }
    return this.closing;
  }

  private receive(thread: InferenceThread, message: FromThread): void {
    switch (message.type) {
      case 'ready':
        thread.ready = true;
        this.channels = message.outputChannels;
        if (this.threads.every((t) => t.ready)) {
          this.startup?.resolve(this);
          this.startup = null;
        }
        this.updateRef();
        return;
      case 'failed':
        // The thread ends itself after reporting; the others are told to close.
        this.end(new PredictorError(message.code, message.message));
        for (const other of this.threads) if (other !== thread) this.post(other, { type: 'close' });
        return;
      case 'result':
      case 'error': {
        const run = this.pending.get(message.id);
        if (!run) return; // rejected already by close()
        this.pending.delete(message.id);
        if (message.type === 'result' && message.input) {
          this.spare.push(message.input);
          if (this.spare.length > SPARE_INPUTS + this.threads.length) this.spare.shift();
        }
        if (message.type === 'result') run.resolve(message.output);
        else run.reject(new PredictorError(message.code, message.message));
        this.updateRef();
        return;
      }
    }
  }

  /** Refuses everything from now on with `error` (the first reason wins). */
  private end(error: PredictorError): void {
    if (this.ended) return;
    this.ended = error;
    this.startup?.reject(error);
    this.startup = null;
    for (const run of this.pending.values()) run.reject(new PredictorError(error.code, error.message));
    this.pending.clear();
    this.updateRef();
  }

  private post(thread: InferenceThread, message: ToThread, transfer: ArrayBuffer[] = []): void {
    try {
      thread.worker.postMessage(message, transfer);
    } catch {
      // The thread is gone; its 'exit' event rejects what is pending.
    }
  }

  // Keep the process alive only while something awaits the threads: a forgotten close() must not
  // hang a CLI, and a pending run must not be cut short by the process exiting.
  private updateRef(): void {
    const keep = this.startup || this.pending.size > 0 || this.closing;
    for (const { worker } of this.threads) {
      if (keep) worker.ref();
      else worker.unref();
    }
  }
}

function isPositiveInteger(n: number): boolean {
  return Number.isInteger(n) && n > 0;
}
