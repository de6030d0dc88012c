import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import type { DataFileDto } from '@holdout/contracts';
import { createDataSource } from '@holdout/db';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, expectedScore, FixtureBundles, processEnv, scored, startApi, submissionCsv, type TestApi, type TestEnv } from '@holdout/api/testing';
import { startWorker } from '@holdout/worker/testing';
import { DataSource } from 'typeorm';

const DAY = 86_400_000;
const ROOT = resolve(import.meta.dirname, '../../..');

/** Runs one of the operator's scripts on the env's database and data directory. */
function script(env: TestEnv, name: string, ...args: string[]) {
  const r = spawnSync('bash', [join(ROOT, 'scripts', name), ...args], { env: processEnv(env), encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

async function adminQuery(env: TestEnv, sql: string): Promise<void> {
  const url = new URL(env.config.databaseUrl);
  url.pathname = '/postgres';
  const admin = new DataSource({ type: 'postgres', url: url.toString() });
  await admin.initialize();
  await admin.query(sql);
  await admin.destroy();
}

// docs/operations.md's backup and restore, as an operator runs them: scripts/backup.sh while the
// platform runs, the database and the data directory lost, scripts/restore.sh, the apps started
// again — everything a student had is back, and the platform goes on scoring.
describe('backup and restore (scripts/backup.sh, scripts/restore.sh)', () => {
  let env: TestEnv;
  let api: TestApi | undefined;
  let worker: INestApplicationContext | undefined;
  let restored: DataSource | undefined;
  let dest: string;
  const bundles = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 10 }));

  before(async () => {
    env = await createTestEnv('backup');
    dest = await mkdtemp(join(tmpdir(), 'holdout-backups-'));
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    if (restored?.isInitialized) await restored.destroy();
    await env?.drop();
    await rm(dest, { recursive: true, force: true });
  });

  it('brings back accounts, submissions, scores and files, and refuses a damaged backup or a non-empty target', async () => {
    api = await startApi(env, bundles);
    const prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'C' })).body;
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: 'fixture', slug: 'kept' });
    const student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    await dataVisible(student, 'kept');
    worker = await startWorker(env, bundles);
    const csv = submissionCsv(6, 8);
    const up = await student.upload('kept', csv);
    assert.equal(up.status, 202);
    assert.equal((await scored(student, up.body.id)).publicScore, expectedScore(6));
    const dataFiles = (await student.get('/api/competitions/kept/data')).body as DataFileDto[];
    const sample = dataFiles.find((f) => f.name.endsWith('.csv'))!;
    const sampleBytes = (await student.get(`/api/competitions/kept/data/${sample.name}`)).text;
    assert.ok(sampleBytes.length > 0);

    // The backup is taken while the API and the worker are running.
    const b = script(env, 'backup.sh', dest);
    assert.equal(b.status, 0, b.stderr);
    const backup = b.stdout.split('\n').at(-1)!;
    assert.deepEqual((await readdir(backup)).sort(), ['data.tar', 'database.dump', 'manifest.json']);
    const manifest = JSON.parse(await readFile(join(backup, 'manifest.json'), 'utf8'));
    assert.equal(manifest.dataDir, env.config.dataDir);
    assert.match(manifest.migration, /^[A-Za-z]+\d+$/, 'the schema version the dump has');

    // Everything is lost.
    await worker.close();
    worker = undefined;
    await api.close();
    api = undefined;
    if (env.ds.isInitialized) await env.ds.destroy(); // (closing the API may already have)
    await adminQuery(env, `DROP DATABASE "${env.name}" WITH (FORCE)`);
    await rm(env.config.dataDir, { recursive: true, force: true });

    // A damaged copy is refused before anything is written.
    const damaged = `${backup}-damaged`;
    spawnSync('cp', ['-r', backup, damaged]);
    const tar = await readFile(join(damaged, 'data.tar'));
    tar[tar.length >> 1] ^= 0xff;
    await writeFile(join(damaged, 'data.tar'), tar);
    const bad = script(env, 'restore.sh', damaged);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /data\.tar does not match its checksum/);
    assert.deepEqual(await readdir(env.config.dataDir).catch(() => []), [], 'nothing restored from a damaged backup');

    const r = script(env, 'restore.sh', backup);
    assert.equal(r.status, 0, r.stderr);
    // Restoring twice is refused: the database is no longer empty.
    const again = script(env, 'restore.sh', backup);
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /(already has \d+ tables|is not empty)/);

    restored = createDataSource({ databaseUrl: env.config.databaseUrl, repoRoot: env.config.repoRoot, poolSize: 5, applicationName: `${env.name}-restored` });
    await restored.initialize();
    const back = { ...env, ds: restored };
    api = await startApi(back, bundles);
    worker = await startWorker(back, bundles);

    // The student signs in with the same password and finds their submission, score and file.
    const again2 = new Client(api.server);
    const signIn = await again2.agent.post('/api/auth/login').send({ email: 'stu@example.com', password: 'correct horse battery' });
    assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
    again2.csrf = signIn.body.csrfToken;
    const mine = await again2.get(`/api/submissions/${up.body.id}`);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.status, 'scored');
    assert.equal(mine.body.publicScore, expectedScore(6));
    const file = await again2.get(`/api/submissions/${up.body.id}/file`).buffer(true).parse((res: NodeJS.ReadableStream, cb: (err: Error | null, body: Buffer) => void) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    assert.equal(file.status, 200);
    assert.equal((file.body as Buffer).toString('utf8'), csv, 'the uploaded file is back byte for byte');
    assert.equal((await again2.get(`/api/competitions/kept/data/${sample.name}`)).text, sampleBytes);

    // The platform goes on: a new submission is scored against the restored solution.
    await dataVisible(again2, 'kept');
    const next = await again2.upload('kept', submissionCsv(4, 4));
    assert.equal(next.status, 202, JSON.stringify(next.body));
    assert.equal((await scored(again2, next.body.id)).publicScore, expectedScore(4));
  });
});
