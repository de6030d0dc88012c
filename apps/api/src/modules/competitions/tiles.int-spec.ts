import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { TileInfoDto } from '@holdout/contracts';
import { Client, createTestEnv, startApi, tiffDeclaring, type TestApi, type TestEnv } from '../../testing/index.js';
import { Competition, provisionCompetitionData } from '@holdout/db';
import { LibCompetitionBundles } from './lib-bundles.js';

const binary = (r: unknown, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  (r as NodeJS.ReadableStream).on('data', (c: Buffer) => chunks.push(c));
  (r as NodeJS.ReadableStream).on('end', () => cb(null, Buffer.concat(chunks)));
};

async function tiffsUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile() && /\.tiff?$/.test(e.name)) out.push(join(e.parentPath, e.name));
  return out.sort();
}

/** Whole-slide tiles of the real HuBMAP bundle's public test slides, and nothing beyond them. */
describe('public slide tiles', () => {
  let env: TestEnv;
  let api: TestApi;
  let prof: Client;
  let slide: string; // path under public/
  let publicDir: string;
  let hiddenTiff: string;

  before(async () => {
    env = await createTestEnv('tiles');
    const bundles = new LibCompetitionBundles(env.config.repoRoot);
    api = await startApi(env, bundles);
    prof = await Client.register(api.server, 'prof@example.com');
    const courseId = (await prof.post('/api/courses').send({ name: 'C' })).body.id;
    const created = await prof.post('/api/competitions').send({ bundle: 'hubmap-glomeruli', slug: 'kidney', courseId });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = (await env.ds.getRepository(Competition).findOneByOrFail({ slug: 'kidney' })).id;
    await provisionCompetitionData(env.ds, bundles, id, join(env.config.dataDir, 'data'));
    const c = await env.ds.getRepository(Competition).findOneByOrFail({ id });
    publicDir = c.publicDir!;
    const pub = await tiffsUnder(join(publicDir, 'test'));
    assert.ok(pub.length > 0, 'public test slides');
    slide = relative(publicDir, pub[0]!);
    // The bundle keeps only the solution in hidden/; a slide beside it must stay unreachable too.
    hiddenTiff = join(dirname(publicDir), 'hidden', 'secret.tiff');
    await copyFile(pub[0]!, hiddenTiff);
    await symlink(hiddenTiff, join(publicDir, 'test', 'linked.tiff'));
    await new Promise((r) => setTimeout(r, 2100)); // competition cache TTL (dataStatus)
  });
  after(async () => {
    await api?.close();
    await env?.drop();
  });

  it('describes a public slide and serves tiles that decode to the right size, with ETags', async () => {
    const res = await prof.get(`/api/competitions/kidney/tiles/${slide}/info`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const info = res.body as TileInfoDto;
    const meta = await sharp(join(publicDir, slide)).metadata();
    assert.equal(info.width, meta.width);
    assert.equal(info.height, meta.height);
    assert.equal(info.tileSize, 512);
    assert.ok(info.levels.length >= 2, `a pyramid: ${JSON.stringify(info.levels)}`);
    assert.deepEqual(info.levels[0], { width: meta.width, height: meta.height });
    assert.ok(res.headers.etag);

    // The top-left full-scale tile, and the last (cropped) tile of the smallest level.
    const first = await prof.get(`/api/competitions/kidney/tiles/${slide}/0/0/0.jpg`).buffer(true).parse(binary);
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-type'], 'image/jpeg');
    const m0 = await sharp(first.body as Buffer).metadata();
    assert.deepEqual([m0.format, m0.width, m0.height], ['jpeg', Math.min(512, info.width), Math.min(512, info.height)]);
    const top = info.levels.length - 1;
    const { width, height } = info.levels[top]!;
    const lx = Math.ceil(width / 512) - 1;
    const ly = Math.ceil(height / 512) - 1;
    const last = await prof.get(`/api/competitions/kidney/tiles/${slide}/${top}/${lx}/${ly}.png`).buffer(true).parse(binary);
    assert.equal(last.status, 200);
    const m1 = await sharp(last.body as Buffer).metadata();
    assert.deepEqual([m1.format, m1.width, m1.height], ['png', width - lx * 512, height - ly * 512]);
    // The tile is the slide's pixels at that level, not something else.
    const want = await sharp(join(publicDir, slide), { page: top }).extract({ left: lx * 512, top: ly * 512, width: m1.width!, height: m1.height! }).raw().toBuffer();
    assert.ok((await sharp(last.body as Buffer).removeAlpha().raw().toBuffer()).equals(want), 'tile pixels');

    const again = await prof.get(`/api/competitions/kidney/tiles/${slide}/0/0/0.jpg`).set('if-none-match', first.headers.etag!);
    assert.equal(again.status, 304);
    assert.match(String(first.headers['cache-control']), /private/);
  });

  it('refuses malformed coordinates (400) and tiles outside the level (404)', async () => {
    const info = (await prof.get(`/api/competitions/kidney/tiles/${slide}/info`)).body as TileInfoDto;
    for (const t of ['x/0/0.jpg', '0/-1/0.jpg', '0/0/0.gif', '0/0/1e3.jpg', '0/01/0.jpg']) {
      const res = await prof.get(`/api/competitions/kidney/tiles/${slide}/${t}`);
      assert.equal(res.status, 400, `${t} → ${res.status}`);
    }
    const { width, height } = info.levels[0]!;
    for (const t of [`${info.levels.length}/0/0.jpg`, `0/${Math.ceil(width / 512)}/0.jpg`, `0/0/${Math.ceil(height / 512)}.jpg`, '0/9999999/0.jpg']) {
      const res = await prof.get(`/api/competitions/kidney/tiles/${slide}/${t}`);
      assert.equal(res.status, 404, `${t} → ${res.status}`);
      assert.equal(res.body.error.code, 'not_found');
    }
  });

  it('never reaches hidden/ or the solution: traversal, links and non-TIFF files are not found', async () => {
    const hiddenRel = relative(publicDir, hiddenTiff).split('/').join('%2F');
    for (const path of [hiddenRel, '..%2Fhidden%2Fsecret.tiff', '..%2Fhidden%2Fsolution.csv', '%2e%2e/hidden/solution.csv', 'test/linked.tiff', 'sample_submission.csv', 'test/nothing.tiff', 'starter/kernel.py']) {
      for (const suffix of ['info', '0/0/0.jpg']) {
        const res = await prof.get(`/api/competitions/kidney/tiles/${path}/${suffix}`);
        assert.equal(res.status, 404, `${path}/${suffix} → ${res.status} ${res.text.slice(0, 200)}`);
        assert.equal(res.body.error.code, 'not_found');
      }
    }
  });

  it('answers 422 naming the file for an image over the pixel limit or truncated, never a 500', async () => {
    await writeFile(join(publicDir, 'test', 'huge.tiff'), tiffDeclaring(100_000, 100_000));
    const whole = await readFile(join(publicDir, slide));
    await writeFile(join(publicDir, 'test', 'broken.tiff'), whole.subarray(0, Math.min(whole.length - 1, 64 * 1024)));
    for (const suffix of ['info', '0/0/0.jpg']) {
      const res = await prof.get(`/api/competitions/kidney/tiles/test/huge.tiff/${suffix}`);
      assert.equal(res.status, 422, `${suffix} → ${res.status} ${res.text.slice(0, 300)}`);
      assert.equal(res.body.error.code, 'unprocessable');
      assert.match(res.body.error.message, /^test\/huge\.tiff declares more pixels than this competition's limit of [\d,]+ /);
    }
    // The truncated slide's header may still read; then its tiles cannot be decoded.
    const info = await prof.get('/api/competitions/kidney/tiles/test/broken.tiff/info');
    const tile = info.status === 200 ? await prof.get('/api/competitions/kidney/tiles/test/broken.tiff/0/0/0.jpg') : info;
    assert.equal(tile.status, 422, tile.text.slice(0, 300));
    assert.match(tile.body.error.message, /^test\/broken\.tiff /);
    for (const body of [info.text, tile.text]) assert.ok(!body.includes(env.config.dataDir), 'no server path in the answer');
  });

  it('is for members only, like the data route', async () => {
    const outsider = await Client.register(api.server, 'nosy@example.com');
    const data = await outsider.get(`/api/competitions/kidney/data/${slide}`);
    for (const suffix of ['info', '0/0/0.jpg']) {
      const res = await outsider.get(`/api/competitions/kidney/tiles/${slide}/${suffix}`);
      assert.equal(res.status, data.status, suffix);
      assert.equal(res.status, 404);
    }
    const docs = await prof.get('/api/docs/json');
    assert.ok(Object.keys(docs.body.paths).some((k) => k.includes('/tiles/') && k.endsWith('/info')), 'in the OpenAPI document');
  });
});
