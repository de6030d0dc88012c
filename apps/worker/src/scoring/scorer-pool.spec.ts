import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScorerPool, SubmissionRejected } from './scorer-pool.js';

// Real scoring threads on small files; no database or queue involved.
describe('ScorerPool', () => {
  let dir: string;
  // The pool's threads are unref'd (in the worker, its queue connections keep the process up).
  let keepAlive: NodeJS.Timeout;
  const task = (delayMs?: number) => ({
    metric: 'dice' as const,
    rleOrder: 'column' as const,
    solutionPath: join(dir, 'solution.csv'),
    submissionPath: join(dir, 'submission.csv'),
    ...(delayMs ? { delayMs } : {}),
  });

  before(async () => {
    keepAlive = setInterval(() => {}, 1000);
    dir = await mkdtemp(join(tmpdir(), 'holdout-scorer-pool-'));
    await writeFile(join(dir, 'solution.csv'), 'id,height,width,encoding,Usage\na,2,2,1 2,Public\nb,2,2,1 4,Private\n');
    await writeFile(join(dir, 'submission.csv'), 'id,predicted\na,1 1\nb,1 4\n');
  });
  after(async () => {
    clearInterval(keepAlive);
    await rm(dir, { recursive: true });
  });

  it('scores files on its threads', async () => {
    const pool = new ScorerPool(1);
    try {
      const r = await pool.score(task());
      assert.equal(r.public?.score, 2 / 3);
      assert.equal(r.private?.score, 1);
      assert.deepEqual(r.perImagePublic, { a: 2 / 3 });
    } finally {
      await pool.close();
    }
  });

  it('stops a scoring that runs past its time limit (scoring_timeout), then keeps serving on a new thread', async () => {
    const pool = new ScorerPool(1, 1000);
    try {
      const started = Date.now();
      await assert.rejects(pool.score(task(60_000)), (e: unknown) => {
        assert.ok(e instanceof SubmissionRejected, String(e));
        assert.equal(e.code, 'scoring_timeout');
        assert.equal(e.row, null);
        assert.match(e.message, /stopped after 1 s/);
        return true;
      });
      assert.ok(Date.now() - started < 10_000, 'the timeout should fire long before the 60 s task ends');
      const r = await pool.score(task());
      assert.equal(r.public?.score, 2 / 3);
    } finally {
      await pool.close();
    }
  });
});
