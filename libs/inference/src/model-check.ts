import { Worker } from 'node:worker_threads';
import type { PipelineConfig } from './types.js';
import type { ModelExpectation, ModelInfo, ModelProblem } from './validate.js';

export interface ModelCheckInput {
  /** The uploaded file: one .onnx, or a .tar of several (an ensemble). */
  path: string;
  /** Its name as the participant gave it (messages name it, never the server's path). */
  name: string;
  expect: ModelExpectation;
  /** The `size` of each of the pipeline's views: a model with a fixed input size must match them all. */
  viewSizes: number[];
  /** Hand back each member's bytes (moved out of the checking thread, not copied) for a caller that loads the model next. */
  keepBytes?: boolean;
}

/** A problem of the model file, with the ensemble member it was found in. */
export interface ModelCheckProblem {
  code: ModelProblem['code'] | 'MODEL_FILE_EMPTY' | 'MODEL_FILE_TOO_LARGE' | 'MODEL_ARCHIVE_INVALID' | 'MODEL_ARCHIVE_EMPTY' | 'MODEL_ARCHIVE_TOO_MANY' | 'MODEL_ARCHIVE_ENTRY' | 'INPUT_SIZE' | 'ENSEMBLE_MISMATCH' | 'CHECK_FAILED';
  message: string;
  member?: string;
}

/** A member of a model file that passed the checks: its name in the archive (or the file's) and what it declares. */
export interface CheckedMember {
  name: string;
  info: ModelInfo;
}

/** A checked member with its bytes, ready for `createPredictor` (see `checkModelFor`'s `keepBytes`). */
export interface LoadedMember extends CheckedMember {
  bytes: Uint8Array;
}

export type ModelCheck<M extends CheckedMember = CheckedMember> = { ok: true; members: M[] } | { ok: false; problems: ModelCheckProblem[] };

/**
 * Reads and validates a model submission in a worker thread with a bounded heap, stopped after
 * `timeoutMs` (decoding hundreds of MB of protobuf must not stall the API's event loop, and a
 * hostile file must not take the process down). Never throws for a bad file: its problems are
 * returned, each naming the member and what is wrong.
 */
export function checkModelFile(input: ModelCheckInput & { keepBytes: true }, o?: { timeoutMs?: number; maxHeapMb?: number }): Promise<ModelCheck<LoadedMember>>;
export function checkModelFile(input: ModelCheckInput, o?: { timeoutMs?: number; maxHeapMb?: number }): Promise<ModelCheck>;
export function checkModelFile(input: ModelCheckInput, o: { timeoutMs?: number; maxHeapMb?: number } = {}): Promise<ModelCheck<CheckedMember | LoadedMember>> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./model-check.thread.js', import.meta.url), {
      workerData: input,
      // The file is held twice at most (bytes and the decoded graph) beside protobufjs' own.
      resourceLimits: { maxOldGenerationSizeMb: o.maxHeapMb ?? Math.max(256, Math.ceil((input.expect.maxBytes * 4) / 1024 / 1024)) },
    });
    let settled = false;
    const done = (r: ModelCheck) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(r);
    };
    const failed = (message: string): ModelCheck => ({ ok: false, problems: [{ code: 'CHECK_FAILED', message: `${input.name}: ${message}` }] });
    const timer = setTimeout(() => done(failed(`checking the model took longer than ${Math.round((o.timeoutMs ?? 60_000) / 1000)} s`)), o.timeoutMs ?? 60_000);
    worker.once('message', (r: ModelCheck) => done(r));
    worker.once('error', (err) => done(failed(/memory/i.test(err.message) ? 'the model needs more memory to read than this server allows' : 'the model could not be read')));
    worker.once('exit', () => done(failed('the model could not be read')));
  });
}

/** What of a competition's `model:` section a model file is checked against. */
export type ModelSettings = Pick<PipelineConfig, 'input' | 'output' | 'views' | 'instances'> & { maxSizeBytes: number };

/**
 * Checks a model submission's file against a competition's pipeline: the one check that the API
 * runs on upload, the worker before each run (the limits may have changed since) and `holdout
 * predict` before predicting, so that all three accept and refuse the same files with the same
 * messages. `name` is the file's name as the participant gave it. With `keepBytes`, the members
 * come back with their bytes, so a caller that loads the model reads the file once.
 */
export function checkModelFor(settings: ModelSettings, path: string, name: string, o: { keepBytes: true; timeoutMs?: number }): Promise<ModelCheck<LoadedMember>>;
export function checkModelFor(settings: ModelSettings, path: string, name: string, o?: { keepBytes?: false; timeoutMs?: number }): Promise<ModelCheck>;
export function checkModelFor(settings: ModelSettings, path: string, name: string, o: { keepBytes?: boolean; timeoutMs?: number } = {}): Promise<ModelCheck<CheckedMember | LoadedMember>> {
  const input: ModelCheckInput = { path, name, expect: modelExpectation(settings), viewSizes: [...new Set(settings.views.map((v) => v.size))], keepBytes: o.keepBytes === true };
  return checkModelFile(input, o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {});
}

/** What a competition's pipeline expects of a model (see `checkModelFor`, which most callers want). */
export function modelExpectation(config: Pick<PipelineConfig, 'input' | 'output' | 'instances'> & { maxSizeBytes: number }): ModelExpectation {
  return {
    channels: config.input.channels,
    // A model may give fewer channels than the pipeline reads (an instance model without boundary
    // or centre), unless it has class channels: those come last, so every channel must be there.
    outputChannels: config.instances?.classes?.length ? [config.output.channels] : Array.from({ length: config.output.channels }, (_, i) => i + 1),
    maxBytes: config.maxSizeBytes,
    maxInitializerBytes: config.maxSizeBytes,
  };
}
