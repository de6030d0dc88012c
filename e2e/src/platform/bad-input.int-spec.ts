import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, eventually, FixtureBundles, LibCompetitionBundles, startApi, type BundleCompetition, type TestApi, type TestEnv } from '@holdout/api/testing';
import { AUTH, type CompetitionDto, type SubmissionDetailDto } from '@holdout/contracts';
import { ARTIFACT_META_SUFFIX, CHARGED_STATUSES_SQL, createDataSource, JsonLogger, type BuiltData, type DataScale } from '@holdout/db';
import { identityModel } from '@holdout/inference/testing';
import { WorkerModule } from '@holdout/worker/testing';
import { bytesOf, fieldsOf, isLazy, loadCorpus, packArchive, type Bytes, type CorpusCase, type LazyBytes, type Target } from './bad-input-corpus.js';

// The bad-input corpus (e2e/corpus/cases.json) against the real API and a real worker. For each
// case: the error it must get (a 4xx with its code and message, or — for what only the scorer
// can judge — a stored submission failed as `validation`), nothing stored half (no submission or
// competition row, no file left in the artifact store or the bundles directory), no quota
// charged, and the server unaffected: the next good request of the same kind succeeds.

const CORPUS = fileURLToPath(new URL('../../corpus/', import.meta.url));
const corpus = await loadCorpus(CORPUS);
const DAY = 86_400_000;
const TERMINAL = new Set(['scored', 'failed', 'cancelled']);
const DEFAULT_NAMES = { submission: 'submission.csv', kernel: 'kernel.py', model: 'model.onnx', bundle: 'bundle.tar.gz' } as const;

/**
 * The fixture Dice competition (`fixture`), an instance-map twin (`fixture-instance`: two 4×6
 * images, row-major) and the bundled competitions; uploaded bundles are checked and built by
 * libs/competition as in production.
 */
class CorpusBundles extends LibCompetitionBundles {
  private readonly fixture = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 1000 }));

  override async list(): Promise<string[]> {
    return ['fixture', 'fixture-instance', ...(await super.list())];
  }

  override async load(bundle: string, now: Date): Promise<BundleCompetition> {
    if (bundle === 'fixture') return this.fixture.load('fixture');
    if (bundle === 'fixture-instance') return { ...(await this.fixture.load('fixture')), bundleDir: '/fixture/instance', title: 'Fixture instances', metric: 'instance-map', rleOrder: 'row' };
    return super.load(bundle, now);
  }

  override async build(bundleDir: string, dataRoot: string, scale?: DataScale): Promise<BuiltData> {
    if (bundleDir === '/fixture/instance') {
      const root = join(dataRoot, 'competitions', 'fixture-instance', 'v1');
      await mkdir(join(root, 'public', 'test'), { recursive: true });
      await mkdir(join(root, 'hidden'), { recursive: true });
      await writeFile(join(root, 'public', 'train.csv'), 'id,annotation\n');
      await writeFile(join(root, 'public', 'sample_submission.csv'), 'id,predicted\ni1,\ni2,\n');
      await writeFile(join(root, 'hidden', 'solution.csv'), 'id,height,width,annotation,Usage\ni1,4,6,1 3,Public\ni1,4,6,13 4,Public\ni2,4,6,,Private\n');
      return { dataDir: root, publicDir: join(root, 'public'), solutionPath: join(root, 'hidden', 'solution.csv') };
    }
    if (bundleDir.startsWith('/fixture/')) return this.fixture.build(bundleDir, dataRoot);
    return super.build(bundleDir, dataRoot, scale);
  }
}

/** Every file under `root`, relative and sorted (empty directories do not count). */
/** The stored files under `root` (not the store's checksum records beside them). */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => !e.isDirectory() && !e.name.endsWith(ARTIFACT_META_SUFFIX)).map((e) => relative(root, join(e.parentPath, e.name))).sort();
}

interface Response {
  status: number;
  body: any;
  text: string;
  /** Streamed uploads: how many bytes of the file were made before the answer came. */
  sent?: number;
}

/**
 * A multipart upload whose file is streamed as it is made, with or without a Content-Length. The
 * server may answer before the body is sent (a declared size over the limit, or the limit reached):
 * then the rest is never made.
 */
function streamUpload(o: { server: Server; path: string; client: Client; fields: Record<string, string>; fileField: string; fileName: string; bytes: LazyBytes; declareLength: boolean }): Promise<Response> {
  const boundary = `corpus${randomBytes(8).toString('hex')}`;
  const parts = Object.entries(o.fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  const head = Buffer.from(`${parts.join('')}--${boundary}\r\nContent-Disposition: form-data; name="${o.fileField}"; filename="${o.fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`, 'utf8');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  const { port } = o.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    let answered = false;
    let sent = 0;
    const source = o.bytes.open();
    source.on('data', (c: Buffer) => (sent += c.length));
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: o.path,
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        cookie: o.client.cookie,
        [AUTH.csrfHeader]: o.client.csrf,
        ...(o.declareLength ? { 'content-length': String(head.length + o.bytes.size + tail.length) } : {}),
      },
    });
    req.on('response', (res) => {
      answered = true;
      source.unpipe(req);
      source.destroy();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        req.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = null;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: the assertions show the text
        }
        resolve({ status: res.statusCode!, body, text, sent });
      });
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.write(head);
    source.pipe(req, { end: false });
    source.on('end', () => {
      if (!answered) req.end(tail);
    });
  });
}

describe('the bad-input corpus against the API and a real worker', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  let prof: Client;
  let student: Client;
  let courseId: string;
  let uploads = 0;
  const slugs: Record<Exclude<Target, 'course'>, string> = { dice: 'dice', instance: 'instance', hubmap: 'kidney' };
  /** Good file submissions made between cases: each must end scored. */
  const goodFiles: string[] = [];

  const row = async (id: string) => (await env.ds.query('SELECT * FROM submissions WHERE id = $1', [id]))[0] as Record<string, any>;
  const finished = (id: string) =>
    eventually(async () => {
      const r = await row(id);
      return TERMINAL.has(r.status) ? r : undefined;
    }, { timeoutMs: 60_000, everyMs: 50, what: `submission ${id} to finish` });
  const charged = async (id: string) => Number((await env.ds.query(`SELECT count(*) AS n FROM submissions s WHERE s.id = $1 AND ${CHARGED_STATUSES_SQL}`, [id]))[0].n) === 1;
  const submissionsToday = async (slug: string) => ((await student.get(`/api/competitions/${slug}`)).body as CompetitionDto).viewer!.submissionsToday;

  /** What a refused input must leave as it was. */
  const state = async () => ({
    submissions: Number((await env.ds.query('SELECT count(*) AS n FROM submissions'))[0].n),
    charged: Number((await env.ds.query(`SELECT count(*) AS n FROM submissions s WHERE ${CHARGED_STATUSES_SQL}`))[0].n),
    competitions: ((await env.ds.query('SELECT slug FROM competitions ORDER BY slug')) as { slug: string }[]).map((c) => c.slug),
    artifacts: await filesUnder(env.config.artifactDir),
    bundles: await readdir(join(env.config.dataDir, 'bundles')).catch(() => [] as string[]),
  });
  type State = Awaited<ReturnType<typeof state>>;

  /** Sends a case's input as its `transfer` says. */
  async function send(c: CorpusCase, bytes: Bytes): Promise<Response> {
    const bundle = c.kind === 'bundle';
    const client = bundle ? prof : student;
    const path = bundle ? '/api/competitions' : `/api/competitions/${slugs[c.target as Exclude<Target, 'course'>]}/submissions`;
    const fields = {
      ...(c.kind === 'kernel' || c.kind === 'model' ? { kind: c.kind } : {}),
      ...(bundle ? { courseId, slug: `case-${++uploads}` } : {}),
      ...fieldsOf(c.input),
    };
    const fileField = bundle ? 'bundle' : 'file';
    const fileName = c.input.fileName ?? DEFAULT_NAMES[c.kind];
    const transfer = c.input.transfer ?? 'multipart';
    if (transfer === 'declared-length' || transfer === 'chunked') {
      assert.ok(isLazy(bytes), `${c.id}: a streamed transfer needs a lazy generator`);
      return streamUpload({ server: api.server, path, client, fields, fileField, fileName, bytes, declareLength: transfer === 'declared-length' });
    }
    const buffer = isLazy(bytes) ? assert.fail(`${c.id}: a lazy input needs a streamed transfer`) : bytes;
    if (transfer === 'json') return client.post(path).send(fields);
    if (transfer === 'raw') return client.post(path).set('content-type', c.input.contentType ?? 'application/octet-stream').send(buffer);
    let r = client.post(path);
    for (const [k, v] of Object.entries(fields)) r = r.field(k, v);
    if (transfer === 'no-file') return r;
    // `filepath`, not `filename`: form-data would cut a name like ../../x down to its base name.
    r = r.attach(fileField, buffer, { filepath: fileName } as never);
    for (const a of c.input.attachments ?? []) r = r.attach('attachments', Buffer.from(a.text, 'utf8'), { filepath: a.name } as never);
    return r;
  }

  /** Nothing of a refused input stays: the state returns to `before` (removals may trail the answer by a moment). */
  async function nothingStored(before: State): Promise<void> {
    let now = await state();
    await eventually(async () => ((now = await state()), JSON.stringify(now) === JSON.stringify(before) ? true : undefined), { timeoutMs: 5_000, everyMs: 50, what: 'the state before the input' }).catch(() => undefined);
    assert.deepEqual(now, before, 'nothing stored, nothing charged');
  }

  /** The server is unaffected: a good request of the same kind to the same place succeeds. */
  async function goodRequest(c: CorpusCase): Promise<void> {
    assert.equal((await student.get('/api/health')).status, 200);
    if (c.kind === 'bundle') {
      const archive = await packArchive(CORPUS, { base: 'bundles/base' });
      const res = await prof.post('/api/competitions').field('courseId', courseId).field('slug', `good-${++uploads}`).attach('bundle', archive, 'bundle.tar.gz');
      assert.equal(res.status, 201, `the next good bundle: ${res.text.slice(0, 500)}`);
      return;
    }
    const slug = slugs[c.target as Exclude<Target, 'course'>];
    if (c.kind === 'submission') {
      const csv = c.target === 'instance' ? 'id,predicted\ni1,1 3\ni1,13 4\ni2,\n' : 'id,predicted\np1,1 8\np2,5 4\nq1,1 8\nq2,\n';
      const res = await student.upload(slug, csv);
      assert.equal(res.status, 202, `the next good file: ${res.text}`);
      goodFiles.push(res.body.id);
      return;
    }
    // A good kernel or model is accepted, then cancelled before it runs: not charged.
    const res =
      c.kind === 'kernel'
        ? await student.post(`/api/competitions/${slug}/submissions`).field('kind', 'kernel').attach('file', Buffer.from("print('ok')\n"), 'kernel.py')
        : await student.post(`/api/competitions/${slug}/submissions`).field('kind', 'model').attach('file', Buffer.from(identityModel({ channels: 3 })), 'model.onnx');
    assert.equal(res.status, 202, `the next good ${c.kind}: ${res.text}`);
    assert.equal((await student.post(`/api/submissions/${res.body.id}/cancel`)).status, 200);
    assert.equal((await row(res.body.id)).status, 'cancelled');
  }

  async function run(c: CorpusCase): Promise<void> {
    const slug = c.target === 'course' ? null : slugs[c.target];
    const before = await state();
    const today = slug ? await submissionsToday(slug) : null;
    const bytes = await bytesOf(CORPUS, c.input);
    const res = await send(c, bytes);
    const e = c.expect;
    const shown = `${res.status} ${res.text.slice(0, 600)}`;
    for (const secret of [env.config.dataDir, env.config.artifactDir, env.config.repoRoot]) assert.ok(!res.text.includes(secret), `a server path in the answer: ${shown}`);

    if (e.outcome === 'refused') {
      assert.equal(res.status, e.status, shown);
      assert.equal(res.body?.error?.code, e.code, shown);
      assert.match(res.body.error.message, new RegExp(e.message), shown);
      assert.match(res.body.requestId ?? '', /\S/, 'the error carries a request id');
      if (e.problem) {
        const problems = (res.body.error.details?.problems ?? []) as { code: string; message: string }[];
        assert.ok(problems.some((p) => p.code === e.problem), `no ${e.problem} among ${JSON.stringify(problems)}`);
      }
      // Over the upload limit: refused while it streams, not after the whole of it was taken in.
      if (e.code === 'payload_too_large' && isLazy(bytes)) assert.ok(res.sent! < bytes.size, `refused only after all ${res.sent} bytes`);
      await nothingStored(before);
    } else if (e.outcome === 'failed') {
      assert.equal(res.status, 202, shown);
      const done = await finished(res.body.id);
      assert.deepEqual(
        { status: done.status, errorClass: done.error_class, code: done.error_code, row: done.error_row },
        { status: 'failed', errorClass: 'validation', code: e.code, row: e.row },
        done.error_message,
      );
      assert.match(done.error_message, new RegExp(e.message));
      const detail = (await student.get(`/api/submissions/${done.id}`)).body as SubmissionDetailDto;
      assert.equal(detail.error?.code, e.code, 'the team sees the reason');
      assert.equal(detail.error?.message, done.error_message);
      assert.equal(await charged(done.id), false, 'a rejected file is not charged');
      // Stored whole: one row and its file, nothing else; the quota as before.
      const now = await state();
      assert.deepEqual(now, { ...before, submissions: before.submissions + 1, artifacts: [...before.artifacts, done.artifact_path].sort() });
    } else if (c.kind === 'bundle') {
      assert.equal(res.status, 201, shown);
    } else if (c.kind === 'kernel' || c.kind === 'model') {
      assert.equal(res.status, 202, shown);
      assert.equal((await student.post(`/api/submissions/${res.body.id}/cancel`)).status, 200);
    } else {
      assert.equal(res.status, 202, shown);
      const done = await finished(res.body.id);
      assert.equal(done.status, 'scored', done.error_message);
    }
    if (slug && e.outcome !== 'accepted') assert.equal(await submissionsToday(slug), today, 'the quota as the team sees it');
    await goodRequest(c);
  }

  before(async () => {
    env = await createTestEnv('bad_input');
    const bundles = new CorpusBundles(env.config.repoRoot);
    api = await startApi(env, bundles);
    prof = await Client.register(api.server, 'prof@example.com'); // first account: site admin
    const course = (await prof.post('/api/courses').send({ name: 'Corpus' })).body;
    courseId = course.id;
    // The bundles' kernels ask for a GPU; this machine has none, so the course lets them use the CPU.
    assert.equal((await prof.put(`/api/courses/${courseId}/kernel-policy`).send({ cpuFallback: true })).status, 200);
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId, bundle: 'fixture', slug: slugs.dice });
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId, bundle: 'fixture-instance', slug: slugs.instance });
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId, bundle: 'hubmap-glomeruli', slug: slugs.hubmap });
    assert.equal((await prof.patch(`/api/competitions/${slugs.hubmap}`).send({ limits: { dailySubmissions: 1000 } })).status, 200);
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    for (const slug of Object.values(slugs)) await dataVisible(student, slug);
    // Scoring and data builds; kernels and models are only admitted here (good ones are cancelled).
    const ds = createDataSource({ databaseUrl: env.config.databaseUrl, repoRoot: env.config.repoRoot, poolSize: 5, applicationName: `${env.name}-worker` });
    await ds.initialize();
    const logger = new JsonLogger(env.config.logLevel, 'worker');
    worker = await NestFactory.createApplicationContext(
      WorkerModule.forRoot({ config: { ...env.config, kernels: { ...env.config.kernels, enabled: false } }, logger, dataSource: ds, bundles, queues: { models: false, kernels: false } }),
      { logger },
    );
    await worker.init();
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await env?.drop();
  });

  it('holds at least 60 cases, of every kind', () => {
    assert.ok(corpus.length >= 60, `${corpus.length} cases`);
    for (const kind of ['submission', 'bundle', 'kernel', 'model']) {
      const n = corpus.filter((c) => c.kind === kind).length;
      assert.ok(n >= 10, `${kind}: ${n} cases`);
    }
  });

  for (const c of corpus) {
    it(`${c.id}: ${c.what}`, c.knownBug ? { todo: c.knownBug } : {}, () => run(c));
  }

  it('every good file sent between the cases was scored', async () => {
    assert.ok(goodFiles.length > 0);
    for (const id of goodFiles) {
      const done = await finished(id);
      assert.equal(done.status, 'scored', done.error_message);
      assert.equal(done.public_score, 1);
    }
  });
});
