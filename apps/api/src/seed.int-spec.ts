// `npm start` runs the seed on every start: it must build the demo, print working credentials,
// and be safe to run again. Runs the real seed process against a fresh database.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as argon2 from 'argon2';
import { createTestEnv, type TestEnv } from './testing/index.js';

const SEED = join(dirname(fileURLToPath(import.meta.url)), 'seed.js');

function seed(env: TestEnv, extra: Record<string, string> = {}): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [SEED],
      {
        env: {
          ...process.env,
          DATABASE_URL: env.config.databaseUrl,
          HOLDOUT_DATA_DIR: env.config.dataDir,
          HOLDOUT_QUEUE_PREFIX: env.name,
          HOLDOUT_GPUS: '',
          ...extra,
        },
        maxBuffer: 16 << 20,
      },
      (error, stdout, stderr) => (error ? fail(new Error(`seed failed: ${error.message}\n${stderr}`)) : done(stdout)),
    );
  });
}

const credentials = (out: string) =>
  [...out.matchAll(/^\s+(\w+)\s+(\S+@holdout\.local)\s+password: (\S+)$/gm)].map(([, role, email, password]) => ({ role, email, password }));

describe('seed (the demo npm start creates)', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv('seed');
  });
  after(async () => {
    await env.drop();
  });

  it('creates the demo course, accounts whose printed passwords work, and both competitions with data', async () => {
    const out = await seed(env);
    const creds = credentials(out);
    assert.deepEqual(creds.map((c) => c.role), ['instructor', 'student', 'student']);
    for (const c of creds) {
      const [row] = await env.ds.query('SELECT password_hash FROM users WHERE email = $1', [c.email]);
      assert.ok(await argon2.verify(row.password_hash, c.password!), `printed password for ${c.email} must work`);
    }
    const comps: { slug: string; data_status: string }[] = await env.ds.query('SELECT slug, data_status FROM competitions ORDER BY slug');
    assert.deepEqual(comps, [
      { slug: 'hubmap-glomeruli', data_status: 'ready' },
      { slug: 'sartorius-cells', data_status: 'ready' },
    ]);
    const members: { role: string }[] = await env.ds.query('SELECT role FROM memberships ORDER BY role');
    assert.deepEqual(members.map((m) => m.role), ['instructor', 'student', 'student']);
    // No GPU configured: the demo course's GPU kernels must be allowed on the CPU queue.
    const policies: { cpu_fallback: boolean }[] = await env.ds.query('SELECT cpu_fallback FROM kernel_policies WHERE course_id IS NOT NULL');
    assert.deepEqual(policies, [{ cpu_fallback: true }]);
  });

  it('runs again without duplicating anything, and the new passwords replace the old', async () => {
    const out = await seed(env);
    const creds = credentials(out);
    assert.equal(creds.length, 3);
    const counts = await env.ds.query(
      `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM courses)::int AS courses,
              (SELECT count(*) FROM competitions)::int AS competitions, (SELECT count(*) FROM kernel_policies)::int AS policies`,
    );
    assert.deepEqual(counts, [{ users: 3, courses: 1, competitions: 2, policies: 1 }]);
    const [row] = await env.ds.query('SELECT password_hash FROM users WHERE email = $1', [creds[1]!.email]);
    assert.ok(await argon2.verify(row.password_hash, creds[1]!.password!));
  });
});
