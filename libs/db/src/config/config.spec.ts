import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('lists every problem at once', () => {
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', PORT: 'eighty', HOLDOUT_UPLOAD_LIMIT_MB: '-1', HOLDOUT_SESSION_SECRET: 'short' });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const fields = err.problems.map((p) => p.split(':')[0]).sort();
      assert.deepEqual(fields, ['DATABASE_URL', 'HOLDOUT_SESSION_SECRET', 'HOLDOUT_UPLOAD_LIMIT_MB', 'PORT']);
    }
  });

  it('has working defaults and generates, persists and reuses a session secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'holdout-config-'));
    try {
      const a = loadConfig({ HOLDOUT_DATA_DIR: dir });
      assert.equal(a.port, 4000);
      assert.equal(a.uploadLimitBytes, 200 * 1024 * 1024);
      assert.equal(a.artifactDir, join(dir, 'artifacts'));
      assert.ok(a.sessionSecret.length >= 32);
      assert.equal(readFileSync(join(dir, 'session-secret'), 'utf8').trim(), a.sessionSecret);
      assert.equal(statSync(join(dir, 'session-secret')).mode & 0o777, 0o600);
      assert.equal(loadConfig({ HOLDOUT_DATA_DIR: dir }).sessionSecret, a.sessionSecret);
      assert.equal(a.kernels.enabled, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('HOLDOUT_KERNELS: on by default, off disables kernel runs, anything else is refused', () => {
    const secret = { HOLDOUT_SESSION_SECRET: 'x'.repeat(32) };
    assert.equal(loadConfig({ ...secret, HOLDOUT_KERNELS: 'off' }).kernels.enabled, false);
    assert.equal(loadConfig({ ...secret, HOLDOUT_KERNELS: 'on' }).kernels.enabled, true);
    assert.throws(() => loadConfig({ ...secret, HOLDOUT_KERNELS: 'no' }), (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('HOLDOUT_KERNELS')));
  });

  it('HOLDOUT_WORKER_QUEUES: every queue by default, a comma list picks some, an unknown or empty one is refused by name', () => {
    const secret = { HOLDOUT_SESSION_SECRET: 'x'.repeat(32) };
    assert.deepEqual(loadConfig(secret).workerQueues, ['scoring', 'maintenance', 'models', 'kernels']);
    assert.deepEqual(loadConfig({ ...secret, HOLDOUT_WORKER_QUEUES: ' kernels ' }).workerQueues, ['kernels']);
    assert.deepEqual(loadConfig({ ...secret, HOLDOUT_WORKER_QUEUES: 'scoring,maintenance' }).workerQueues, ['scoring', 'maintenance']);
    const problem = (v: string) => {
      try {
        loadConfig({ ...secret, HOLDOUT_WORKER_QUEUES: v });
      } catch (err) {
        if (err instanceof ConfigError) return err.problems.join('; ');
        throw err;
      }
      return assert.fail(`HOLDOUT_WORKER_QUEUES=${v} was accepted`);
    };
    assert.match(problem('scoring,gpu'), /^HOLDOUT_WORKER_QUEUES.*unknown queue; use a comma list of scoring, maintenance, models, kernels/);
    assert.match(problem(' , '), /^HOLDOUT_WORKER_QUEUES.*at least one queue/);
  });
});
