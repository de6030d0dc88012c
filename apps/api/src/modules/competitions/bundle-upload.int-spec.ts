import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { packBundleArchive } from '@holdout/competition';
import { Client, createTestEnv, startApi, type TestApi, type TestEnv } from '../../testing/index.js';
import { LibCompetitionBundles } from './lib-bundles.js';

const targz = packBundleArchive;

async function bundleFiles(dir: string, prefix: string, edit: (yaml: string) => string): Promise<Record<string, string | Buffer>> {
  const out: Record<string, string | Buffer> = {};
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const abs = join(d, e.name);
      if (e.isDirectory()) await walk(abs);
      else out[`${prefix}${relative(dir, abs)}`] = await readFile(abs);
    }
  };
  await walk(dir);
  out[`${prefix}competition.yaml`] = edit((out[`${prefix}competition.yaml`] as Buffer).toString('utf8'));
  return out;
}

describe('competitions from an uploaded bundle archive', () => {
  let env: TestEnv;
  let api: TestApi;
  let prof: Client;
  let courseId: string;
  const source = (root: string) => join(root, 'competitions', 'hubmap-glomeruli');

  before(async () => {
    env = await createTestEnv('bundles');
    api = await startApi(env, new LibCompetitionBundles(env.config.repoRoot));
    prof = await Client.register(api.server, 'prof@example.com');
    courseId = (await prof.post('/api/courses').send({ name: 'C' })).body.id;
  });
  after(async () => {
    await api.close();
    await env.drop();
  });

  const upload = (c: Client, archive: Buffer, fields: Record<string, string> = { courseId }) => {
    let r = c.post('/api/competitions');
    for (const [k, v] of Object.entries(fields)) r = r.field(k, v);
    return r.attach('bundle', archive, 'bundle.tar.gz');
  };

  it('creates a competition from a valid archive (bundle inside a top-level directory)', async () => {
    const files = await bundleFiles(source(env.config.repoRoot), 'my-glomeruli/', (y) => y.replace(/^slug: .*$/m, 'slug: my-glomeruli'));
    const res = await upload(prof, await targz(files));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.slug, 'my-glomeruli');
    assert.equal(res.body.dataReady, false, 'the worker builds the data');
    assert.equal(res.body.metric, 'dice');
    const row = await env.ds.query(`SELECT bundle_dir FROM competitions WHERE slug = 'my-glomeruli'`);
    assert.ok(existsSync(join(row[0].bundle_dir, 'competition.yaml')));
  });

  it('reports the check\'s progress to the uploader on the check\'s event stream, and to no one else', async () => {
    const checkId = randomUUID();
    const mine = sseEvents(api.server, `/api/bundles/checks/${checkId}/events`, prof.cookie);
    const other = await Client.register(api.server, 'nosy@example.com');
    const theirs = sseEvents(api.server, `/api/bundles/checks/${checkId}/events`, other.cookie);
    await new Promise((r) => setTimeout(r, 300)); // both streams are subscribed
    const files = await bundleFiles(source(env.config.repoRoot), '', (y) => y.replace(/^slug: .*$/m, 'slug: followed'));
    const res = await upload(prof, await targz(files), { courseId, checkId });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await new Promise((r) => setTimeout(r, 300)); // the last reports cross Redis
    const seen = mine.stop();
    const followedByOther = theirs.stop(); // both closed before any assertion, or the API cannot close
    const steps = [...new Set(seen.map((e) => (e as { step: string }).step))];
    assert.deepEqual(steps, ['unpacking', 'config'], JSON.stringify(seen));
    const last = seen.at(-1) as { step: string; done: number; total: number };
    assert.deepEqual([last.step, last.done, last.total], ['config', 1, 1]);
    assert.ok(seen.some((e) => (e as { step: string; done: number }).step === 'unpacking' && (e as { done: number }).done > 0), 'entries were counted');
    assert.deepEqual(followedByOther, [], 'another user follows nothing');
  });

  it('rejects an invalid competition.yaml, naming the field', async () => {
    const files = await bundleFiles(source(env.config.repoRoot), '', (y) => y.replace(/^slug: .*$/m, 'slug: broken').replace('rleOrder:', 'rle_order:'));
    const res = await upload(prof, await targz(files));
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'bad_request');
    assert.match(res.body.error.message, /rle_order/);
    assert.ok(Array.isArray(res.body.error.details));
    const kept = await readdir(join(env.config.dataDir, 'bundles'));
    assert.equal(kept.length, 2, 'only the two valid bundles stay unpacked');
  });

  it('refuses path traversal and links, and students', async () => {
    const evil = await targz({ 'competition.yaml': 'slug: evil\n', '../escaped.txt': 'x' });
    const res = await upload(prof, evil);
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /refusing the path/);
    assert.ok(!existsSync(join(env.config.dataDir, 'bundles', 'escaped.txt')));
    const student = await Client.register(api.server, 'stu@example.com');
    const denied = await upload(student, await targz({ 'competition.yaml': 'slug: x\n' }));
    assert.equal(denied.status, 403);
    const notGz = await prof.post('/api/competitions').field('courseId', courseId).attach('bundle', Buffer.from('not an archive'), 'b.tar.gz');
    assert.equal(notGz.status, 400);
  });
});

/** Collects the `data:` payloads of an SSE stream until `stop()`. */
function sseEvents(server: Server, path: string, cookie: string): { stop(): unknown[] } {
  const events: unknown[] = [];
  const { port } = server.address() as AddressInfo;
  let buf = '';
  const req = httpRequest({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', cookie } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const data = buf.slice(0, i).split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        buf = buf.slice(i + 2);
        if (data) events.push(JSON.parse(data));
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return {
    stop() {
      req.destroy();
      return events;
    },
  };
}
