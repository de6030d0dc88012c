import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CompetitionDto, ModelPipelineDto } from '@holdout/contracts';
import { encodeRle, type RleOrder } from '@holdout/metrics';
import { garbageBytes, identityModel } from '@holdout/inference/testing';
import sharp from 'sharp';

// The compiled entry point beside this file's compiled copy: dist/commands/ -> dist/main.cjs.
const MAIN = fileURLToPath(new URL('../main.cjs', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/** Runs the CLI as a process (asynchronously: a test's fake server must keep answering). */
function holdout(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, HOLDOUT_URL: '', HOLDOUT_TOKEN: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** A bundled competition.yaml with its `model:` section replaced (or removed, for `null`). */
async function bundleWithModel(from: string, model: string | null): Promise<string> {
  const text = await readFile(join(REPO, 'competitions', from, 'competition.yaml'), 'utf8');
  // The section runs from `model:` to the next top-level key.
  const section = /^model:\n(?:(?:[ #].*)?\n)*/m;
  assert.match(text, section, `${from}/competition.yaml has a model: section`);
  if (model !== null) return text.replace(section, `${model}\n`);
  return text.replace(section, '').replace(/^( {2}kinds: \[.*), model\]$/m, '$1]');
}

/** A deterministic pseudo-random byte in [0, 256) (xorshift), so the images are the same each run. */
function bytes(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) & 0xff;
  };
}

/** Pixel values far from the 0.5 threshold (127.5), so float rounding cannot flip a pixel. */
const farFromHalf = (b: number) => (b < 128 ? Math.floor((b * 110) / 128) : 150 + Math.floor(((b - 128) * 105) / 128));

describe('holdout predict', () => {
  let dir: string;
  let server: Server;
  let url: string;
  const at = (...parts: string[]) => join(dir, ...parts);
  const expected: { id: string; rle: string }[] = [];

  const dicePipeline: ModelPipelineDto = {
    input: { channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    output: { kind: 'probabilities', channels: 1 },
    views: [{ window: 64, size: 64, stride: 32 }],
    blend: 'center-crop',
    tta: ['identity', 'hflip', 'vflip'],
    threshold: 0.5,
    tissue: { minTissue: 0 },
    maxSizeBytes: 1024 * 1024,
    timeLimitSeconds: 60,
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'holdout-cli-predict-'));
    await mkdir(at('dice'));
    await writeFile(
      at('dice', 'competition.yaml'),
      await bundleWithModel(
        'hubmap-glomeruli',
        `model:
  input: { channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }
  output: { kind: probabilities, channels: 1 }
  views:
    - { window: 64, size: 64, stride: 32 }
  blend: center-crop
  tta: [identity, hflip, vflip]
  threshold: 0.5
  tissue: { minTissue: 0 }
  maxSize: 1m`,
      ),
    );
    await mkdir(at('no-models'));
    await writeFile(at('no-models', 'competition.yaml'), await bundleWithModel('hubmap-glomeruli', null));
    // The model's output is the denormalised red channel: probability = red / 255.
    await writeFile(at('model.onnx'), identityModel({ channels: 3, mean: 0.485, std: 0.229 }));
    await writeFile(at('garbage.onnx'), garbageBytes());

    // Two RGB images: one wider than the window with a ragged last window, one narrower than it.
    await mkdir(at('images'));
    await writeFile(at('images', 'notes.txt'), 'not an image: ignored\n');
    for (const [id, width, height, seed] of [['b-slide', 100, 70, 7], ['a-slide', 50, 120, 11]] as const) {
      const next = bytes(seed);
      const rgb = Buffer.alloc(width * height * 3);
      const mask = new Uint8Array(width * height);
      for (let i = 0; i < width * height; i++) {
        rgb[3 * i] = farFromHalf(next());
        rgb[3 * i + 1] = next();
        rgb[3 * i + 2] = next();
        mask[i] = rgb[3 * i]! >= 128 ? 1 : 0;
      }
      await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toFile(at('images', `${id}.png`));
      expected.push({ id, rle: encodeRle(mask, height, width, 'column' satisfies RleOrder) });
    }
    expected.sort((a, b) => a.id.localeCompare(b.id));
    assert.ok(expected.every((e) => e.rle !== ''), 'every test image has some foreground');

    await mkdir(at('empty'));
    await mkdir(at('broken'));
    await writeFile(at('broken', 'x.png'), 'this is not a PNG');

    // A server that knows one competition taking models and one taking none.
    const competitions: Record<string, Partial<CompetitionDto>> = {
      glomeruli: { slug: 'glomeruli', metric: 'dice', rleOrder: 'column', submissionKinds: ['file', 'model'], model: dicePipeline },
      'files-only': { slug: 'files-only', metric: 'dice', rleOrder: 'column', submissionKinds: ['file'], model: null },
    };
    server = createServer((req, res) => {
      const slug = /^\/api\/competitions\/([^/?]+)$/.exec(req.url ?? '')?.[1];
      const c = slug === undefined ? undefined : competitions[decodeURIComponent(slug)];
      const ok = req.headers.authorization === 'Bearer hko_test';
      res.writeHead(!ok ? 401 : c ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(!ok ? { error: { code: 'unauthenticated', message: 'no' } } : (c ?? { error: { code: 'not_found', message: 'competition not found' } })));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.close();
    await rm(dir, { recursive: true });
  });

  const csvOf = (rows: { id: string; rle: string }[]) => `id,predicted\n${rows.map((r) => `${r.id},${r.rle}`).join('\n')}\n`;

  it('offline with --bundle: the CSV is the RLE (column order) of the pixels above the threshold, in id order', async () => {
    const r = await holdout(['predict', '--bundle', at('dice'), '--model', at('model.onnx'), '--images', at('images'), '--out', at('out', 'dice.csv'), '--threads', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(at('out', 'dice.csv'), 'utf8'), csvOf(expected));
    assert.match(r.stdout, /dice\.csv: 2 images \(0\.0 MP\) in [\d.]+ s, [\d.]+ MP\/s/);
  });

  it('from the server (-c): the same pipeline gives the same file; --json prints {images, seconds, out}', async () => {
    const out = at('out', 'server.csv');
    const r = await holdout(['predict', '-c', 'glomeruli', '--model', at('model.onnx'), '--images', at('images'), '--out', out, '--json'], { HOLDOUT_URL: url, HOLDOUT_TOKEN: 'hko_test' });
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), ['images', 'seconds', 'out']);
    assert.equal(json.images, 2);
    assert.equal(json.out, out);
    assert.equal(typeof json.seconds, 'number');
    assert.equal(await readFile(out, 'utf8'), csvOf(expected));
  });

  it('instance-map: one row an instance (row order), one empty row for an image without any', async () => {
    await mkdir(at('cells'));
    await writeFile(
      at('cells', 'competition.yaml'),
      await bundleWithModel(
        'sartorius-cells',
        `model:
  input: { channels: 1, mean: [0.5], std: [0.25] }
  output: { kind: probabilities, channels: 1 }
  views:
    - { window: 32, size: 32, stride: 16 }
  blend: count
  tta: [identity, hflip]
  threshold: 0.5
  instances: { method: components, minArea: 1 }
  maxSize: 1m`,
      ),
    );
    await writeFile(at('grey.onnx'), identityModel({ channels: 1, mean: 0.5, std: 0.25 }));
    await mkdir(at('cell-images'));
    const [width, height] = [40, 30];
    const cells = new Uint8Array(width * height).fill(20);
    const squares = [
      { x: 3, y: 4, w: 6, h: 5 },
      { x: 25, y: 12, w: 9, h: 10 },
    ];
    const masks = squares.map(({ x, y, w, h }) => {
      const mask = new Uint8Array(width * height);
      for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) mask[j * width + i] = cells[j * width + i] = 230;
      return mask;
    });
    await sharp(Buffer.from(cells), { raw: { width, height, channels: 1 } }).png().toFile(at('cell-images', 'cells.png'));
    await sharp(Buffer.alloc(width * height, 20), { raw: { width, height, channels: 1 } }).png().toFile(at('cell-images', 'dark.png'));

    const r = await holdout(['predict', '--bundle', at('cells'), '--model', at('grey.onnx'), '--images', at('cell-images'), '--out', at('out', 'cells.csv'), '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const [header, ...rows] = (await readFile(at('out', 'cells.csv'), 'utf8')).trimEnd().split('\n');
    assert.equal(header, 'id,predicted');
    const want = [...masks.map((m) => `cells,${encodeRle(m, height, width, 'row')}`), 'dark,'];
    assert.deepEqual([...rows].sort(), [...want].sort());
  });

  it('refuses a model the server would refuse: each problem printed, exit code 2, no file', async () => {
    const r = await holdout(['predict', '--bundle', at('dice'), '--model', at('garbage.onnx'), '--images', at('images'), '--out', at('out', 'garbage.csv')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: garbage\.onnx is refused \(the server would refuse it too\):\n {2}- garbage\.onnx: .*not .*ONNX model/m);
    await assert.rejects(readFile(at('out', 'garbage.csv')), { code: 'ENOENT' });
  });

  it('says what is wrong with the command line, the images and the competition', async () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      holdout(['predict', '--model', at('model.onnx'), '--out', at('out', 'x.csv'), ...args], { HOLDOUT_CONFIG_DIR: at('no-login'), ...env });
    const cases: { args: string[]; env?: Record<string, string>; code: number; message: RegExp }[] = [
      { args: ['--bundle', at('dice')], code: 1, message: /required option --images not specified/ },
      { args: ['--images', at('images')], code: 1, message: /give -c SLUG .* or --bundle DIR/ },
      { args: ['--bundle', at('dice'), '--images', at('nowhere')], code: 1, message: /nowhere: no such folder/ },
      { args: ['--bundle', at('dice'), '--images', at('empty')], code: 1, message: /empty holds no images \(\.png, .*\.tiff/ },
      { args: ['--bundle', at('dice'), '--images', at('broken')], code: 2, message: /broken\/x\.png is not a readable image/ },
      { args: ['--bundle', at('dice'), '--images', at('images'), '--threads', 'many'], code: 1, message: /--threads must be a positive whole number/ },
      { args: ['--bundle', at('no-models'), '--images', at('images')], code: 2, message: /hubmap-glomeruli takes no model submissions/ },
      { args: ['-c', 'glomeruli', '--images', at('images')], code: 3, message: /not signed in: .*holdout login.*--bundle DIR/ },
      { args: ['-c', 'nope', '--images', at('images')], env: { HOLDOUT_URL: url, HOLDOUT_TOKEN: 'hko_test' }, code: 2, message: /no competition "nope" on http:\/\/127\.0\.0\.1:\d+/ },
      { args: ['-c', 'files-only', '--images', at('images')], env: { HOLDOUT_URL: url, HOLDOUT_TOKEN: 'hko_test' }, code: 2, message: /files-only takes no model submissions \(it takes file\)/ },
    ];
    for (const c of cases) {
      const r = await run(c.args, c.env);
      assert.equal(r.code, c.code, `${c.args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, c.message, c.args.join(' '));
    }
  });
});
