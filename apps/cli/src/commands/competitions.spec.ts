import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { SubmissionDto, SubmissionEventDto } from '@holdout/contracts';

const MAIN = fileURLToPath(new URL('../main.cjs', import.meta.url));

function holdout(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** A submission as the API returns it. */
function submission(over: Partial<SubmissionDto> = {}): SubmissionDto {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    competitionSlug: 'glomeruli',
    teamId: 't1',
    teamName: 'team',
    kind: 'model',
    status: 'queued',
    description: null,
    cvScore: null,
    fileName: 'model.onnx',
    publicScore: null,
    privateScore: null,
    late: false,
    selected: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    scoredAt: null,
    error: null,
    charged: true,
    runOnly: false,
    run: null,
    disqualified: null,
    ...over,
  };
}

describe('holdout competitions submit --model', () => {
  let dir: string;
  let server: Server;
  let env: Record<string, string>;
  /** What the fake API does with the next upload. */
  let answer: (res: ServerResponse) => void;
  let uploaded: FormData | null;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'holdout-cli-submit-'));
    await writeFile(join(dir, 'model.onnx'), 'onnx bytes');
    server = createServer((req, res) => void route(req, res));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    env = { HOLDOUT_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, HOLDOUT_TOKEN: 'hko_test', HOLDOUT_CONFIG_DIR: join(dir, 'config') };
  });
  after(async () => {
    server.close();
    await rm(dir, { recursive: true });
  });
  beforeEach(() => {
    uploaded = null;
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'POST' && req.url === '/api/competitions/glomeruli/submissions') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      uploaded = await new Response(Buffer.concat(chunks), { headers: { 'content-type': req.headers['content-type']! } }).formData();
      return answer(res);
    }
    if (req.url === `/api/submissions/${submission().id}/events`) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const events: SubmissionEventDto[] = [
        { type: 'status', submission: submission({ status: 'running' }) },
        { type: 'progress', progress: { phase: 'running', run: null, position: null, waiting: null, etaSeconds: null, startedAt: null, elapsedSeconds: 75, limitSeconds: 3600, model: { image: 2, images: 5, windowsDone: 10, windowsTotal: 40 } } },
        { type: 'status', submission: submission({ status: 'scored', publicScore: 0.8125 }) },
      ];
      for (const e of events) res.write(`data: ${JSON.stringify(e)}\n\n`);
      res.end();
      return;
    }
    res.writeHead(404).end();
  }

  it('uploads the model with kind=model; --wait shows the image and windows being predicted', async () => {
    answer = (res) => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(submission()));
    const r = await holdout(['competitions', 'submit', '-c', 'glomeruli', '--model', join(dir, 'model.onnx'), '-m', 'unet', '--wait'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(uploaded?.get('kind'), 'model');
    assert.equal(uploaded?.get('description'), 'unet');
    assert.equal((uploaded?.get('file') as File).name, 'model.onnx');
    assert.match(r.stderr, /^predicting: image 2 of 5, windows 10\/40 \(1 min 15 s of 1 h 0 min\)$/m);
    assert.match(r.stdout, /scored, public score 0\.8125/);
  });

  it('a refused model: every problem of error.details.problems printed, exit code 2', async () => {
    const problems = [
      { code: 'OP_REFUSED', message: 'ens.tar (a.onnx): node "x" uses NonMaxSuppression, which is not allowed', member: 'a.onnx' },
      { code: 'INPUT_CHANNELS', message: 'ens.tar (b.onnx): the input has 1 channel; this competition feeds 3' , member: 'b.onnx' },
    ];
    answer = (res) =>
      res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'invalid_model', message: `${problems[0]!.message} (and 1 more problem)`, details: { problems } }, requestId: 'r1' }));
    const r = await holdout(['competitions', 'submit', '-c', 'glomeruli', '--model', join(dir, 'model.onnx')], env);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, `error: the server refused the model (nothing was recorded or charged):\n${problems.map((p) => `  - ${p.message}\n`).join('')}`);
  });

  it('takes either a file or a model', async () => {
    const both = await holdout(['competitions', 'submit', '-c', 'glomeruli', '--model', 'm.onnx', '-f', 's.csv'], env);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /give either -f FILE .* or --model MODEL\.onnx/);
    const none = await holdout(['competitions', 'submit', '-c', 'glomeruli'], env);
    assert.equal(none.code, 1);
    assert.equal(uploaded, null);
  });
});
