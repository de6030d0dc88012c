import { parentPort } from 'node:worker_threads';
import { scoreSubmission, ScoringError } from '@holdout/metrics';
import type { ScoreTask, ScoreReply } from './scorer-pool.js';

// Runs in a worker thread: scoring is CPU-bound and must not block the event loop that renews
// BullMQ job locks.

async function run(task: ScoreTask): Promise<ScoreReply> {
  if (task.delayMs) await new Promise((r) => setTimeout(r, task.delayMs));
  try {
    const r = await scoreSubmission({ metric: task.metric, rleOrder: task.rleOrder, solution: task.solutionPath, submission: task.submissionPath });
    const perImagePublic: Record<string, number> = {};
    const perImagePrivate: Record<string, number> = {};
    for (const [id, v] of Object.entries(r.perImage)) (r.perImageUsage[id] === 'private' ? perImagePrivate : perImagePublic)[id] = v;
    return { id: task.id, kind: 'scored', result: { public: r.public, private: r.private, perImagePublic, perImagePrivate } };
  } catch (err) {
    if (err instanceof ScoringError) return { id: task.id, kind: 'rejected', error: { code: err.code, message: err.message, row: err.row } };
    return { id: task.id, kind: 'error', message: (err as Error).message ?? String(err) };
  }
}

parentPort!.on('message', (task: ScoreTask) => {
  void run(task).then((reply) => parentPort!.postMessage(reply));
});
// Modules loaded: the pool hands this thread work from now on (and times it from now on).
parentPort!.postMessage({ kind: 'ready' } satisfies ScoreReply);
