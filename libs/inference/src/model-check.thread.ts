import { parentPort, workerData } from 'node:worker_threads';
import type { CheckedMember, LoadedMember, ModelCheck, ModelCheckInput, ModelCheckProblem } from './model-check.js';
import { ModelFileError, readModelMembers } from './model-file.js';
import { validateModel } from './validate.js';

// The worker thread of checkModelFile: read the members, validate each, check they fit the pipeline.
async function check(input: ModelCheckInput): Promise<ModelCheck<CheckedMember | LoadedMember>> {
  let members;
  try {
    members = await readModelMembers(input.path, { maxBytes: input.expect.maxBytes, name: input.name });
  } catch (err) {
    if (err instanceof ModelFileError) return { ok: false, problems: [{ code: err.code, message: err.message }] };
    throw err;
  }
  const problems: ModelCheckProblem[] = [];
  const ok: (CheckedMember | LoadedMember)[] = [];
  const ensemble = members.length > 1;
  for (const m of members) {
    const where = ensemble ? `${input.name} (${m.name})` : input.name;
    const v = validateModel(m.bytes, input.expect);
    if (!v.ok) {
      for (const p of v.problems) problems.push({ ...p, message: `${where}: ${p.message}`, ...(ensemble ? { member: m.name } : {}) });
      continue;
    }
    for (const side of ['height', 'width'] as const) {
      const fixed = v.info.fixedSize?.[side];
      const wrong = fixed != null ? input.viewSizes.filter((s) => s !== fixed) : [];
      if (wrong.length > 0) {
        problems.push({ code: 'INPUT_SIZE', message: `${where}: the input's ${side} is fixed at ${fixed}, but this competition feeds ${wrong.join(' and ')} px patches; export with dynamic axes or that size`, ...(ensemble ? { member: m.name } : {}) });
      }
    }
    ok.push(input.keepBytes ? { name: m.name, info: v.info, bytes: ownBuffer(m.bytes) } : { name: m.name, info: v.info });
  }
  const channels = new Set(ok.map((m) => m.info.outputChannels).filter((c) => c !== null));
  if (channels.size > 1) problems.push({ code: 'ENSEMBLE_MISMATCH', message: `${input.name}: the ensemble's models output different channel counts (${[...channels].join(', ')}); their probabilities cannot be averaged` });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, members: ok };
}

/** The bytes in an ArrayBuffer of their own (a small tar member may sit in Node's shared Buffer pool), so they can be moved. */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  const spans = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  return spans ? bytes : Uint8Array.prototype.slice.call(bytes);
}

check(workerData as ModelCheckInput).then(
  // Kept bytes are moved to the caller's thread, not copied (a model may be hundreds of MB).
  (r) => parentPort!.postMessage(r, r.ok ? r.members.flatMap((m) => ('bytes' in m ? [m.bytes.buffer as ArrayBuffer] : [])) : []),
  // The error's own text may hold a server path: say only that the file could not be read.
  () => parentPort!.postMessage({ ok: false, problems: [{ code: 'CHECK_FAILED', message: `${(workerData as ModelCheckInput).name}: the model could not be read` }] } satisfies ModelCheck),
);
