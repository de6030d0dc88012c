// The `holdout` command line as students and instructors use it: a real process per command,
// against the running API and worker (real PostgreSQL, Redis and, for kernels, the Docker engine),
// checking stdout, --json output and exit codes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, startStack, type Stack } from '../web/stack.js';

const CLI = join(ROOT, 'apps/cli/dist/main.cjs');
const PASSWORD = 'correct horse battery';
const IMAGE = process.env.HOLDOUT_KERNEL_IMAGE;
const EXIT = { ok: 0, usage: 1, refused: 2, auth: 3, unreachable: 4, failed: 5 };

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the holdout command line against a running server', { timeout: 10 * 60_000 }, () => {
  let stack: Stack;
  const work = mkdtempSync(join(tmpdir(), 'holdout-cli-e2e-'));
  const home = { prof: join(work, 'prof'), student: join(work, 'student') };

  /** Runs `holdout …` as `who` (its own ~/.holdout), optionally with stdin and more environment. */
  const holdout = (who: keyof typeof home, args: string[], o: { input?: string; env?: Record<string, string> } = {}): Promise<Result> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: work, env: { ...process.env, HOLDOUT_CONFIG_DIR: home[who], HOLDOUT_URL: '', HOLDOUT_TOKEN: '', ...o.env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdin.end(o.input ?? '');
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  const json = (r: Result) => {
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  /** The stored token of `who`, for the few setup calls the CLI has no verb for. */
  const tokenOf = async (who: keyof typeof home) => JSON.parse(await readFile(join(home[who], 'config.json'), 'utf8')).token as string;
  const api = async (who: keyof typeof home, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.api}/api${path}`, { method, headers: { authorization: `Bearer ${await tokenOf(who)}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
    return res.status === 204 ? null : res.json();
  };

  before(async () => {
    // HOLDOUT_URL/HOLDOUT_TOKEN of the environment must not leak into these runs (set empty below: empty means unset).
    delete process.env.HOLDOUT_URL;
    delete process.env.HOLDOUT_TOKEN;
    stack = await startStack({ web: false, env: IMAGE ? { HOLDOUT_KERNELS: 'on', HOLDOUT_KERNEL_IMAGE: IMAGE } : {} });
    for (const [who, name] of [['prof', 'Prof'], ['student', 'Sam']] as const) {
      const res = await fetch(`${stack.api}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `${who}@example.test`, password: PASSWORD, displayName: name }) });
      assert.equal(res.status, 201);
    }
  });
  after(async () => {
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('login with e-mail and password stores a token only its owner can read; whoami answers', async () => {
    for (const who of ['prof', 'student'] as const) {
      const r = await holdout(who, ['login', '--url', `${stack.api}/`, '--email', `${who}@example.test`, '--password-stdin'], { input: `${PASSWORD}\n` });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Signed in to ${stack.api} as`));
      const file = join(home[who], 'config.json');
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.match(await tokenOf(who), /^hko_/);
    }
    const wrong = await holdout('student', ['login', '--url', stack.api, '--email', 'student@example.test', '--password-stdin'], { input: 'nope\n' });
    assert.equal(wrong.code, EXIT.auth);
    assert.match(wrong.stderr, /^error: wrong e-mail or password/);
    const me = json(await holdout('student', ['whoami', '--json']));
    assert.equal(me.email, 'student@example.test');
    assert.equal(me.url, stack.api);
  });

  it('an instructor creates a competition from a bundle; a student lists it, its files, and downloads them, resuming a cut download', async () => {
    const course = (await api('prof', 'POST', '/courses', { name: 'CLI 101' })) as { id: string; joinCode: string };
    await api('student', 'POST', '/courses/join', { code: course.joinCode });
    await api('prof', 'PUT', `/courses/${course.id}/kernel-policy`, { cpuFallback: true }); // no GPU here
    const created = json(await holdout('prof', ['competitions', 'create', '--course', 'CLI 101', '--bundle', 'hubmap-glomeruli', '--slug', 'glom-cli', '--json']));
    assert.equal(created.slug, 'glom-cli');
    const listed = json(await holdout('student', ['competitions', 'list', '--json']));
    assert.deepEqual(listed.map((c: { slug: string }) => c.slug), ['glom-cli']);
    const text = await holdout('student', ['competitions', 'list']);
    assert.match(text.stdout, /^slug\s+title\s+state/);
    let files: { name: string; size: number }[] = [];
    for (let i = 0; i < 240 && files.length === 0; i++) {
      const r = await holdout('student', ['competitions', 'files', '-c', 'glom-cli', '--json']);
      if (r.code === 0) files = JSON.parse(r.stdout);
      if (files.length === 0) await new Promise((res) => setTimeout(res, 1000));
    }
    assert.ok(files.some((f) => f.name === 'sample_submission.csv'), JSON.stringify(files));
    const big = files.filter((f) => f.name.startsWith('test/')).sort((a, b) => b.size - a.size)[0]!;
    const whole = Buffer.from(await (await fetch(`${stack.api}/api/competitions/glom-cli/data/${big.name}`, { headers: { authorization: `Bearer ${await tokenOf('student')}` } })).arrayBuffer());
    assert.equal(whole.length, big.size);
    // An interrupted download: the first third is on disk.
    const dir = join(work, 'data');
    await mkdir(join(dir, 'test'), { recursive: true });
    await writeFile(join(dir, `${big.name}.part`), whole.subarray(0, Math.floor(big.size / 3)));
    const got = json(await holdout('student', ['competitions', 'download', '-c', 'glom-cli', '-f', big.name, '-p', dir, '--json']));
    assert.equal(got[0].resumedFrom, Math.floor(big.size / 3));
    assert.ok((await readFile(join(dir, big.name))).equals(whole), 'the resumed file is the served file');
    const all = json(await holdout('student', ['competitions', 'download', '-c', 'glom-cli', '-p', dir, '--json']));
    assert.equal(all.length, files.length);
    assert.equal(all.find((f: { name: string }) => f.name === big.name).skipped, true, 'a complete file is not fetched again');
    // Everything as one zip, extracted: the same bytes as the files fetched one by one.
    const zipped = json(await holdout('student', ['competitions', 'download', '-c', 'glom-cli', '--zip', '--unzip', '-p', join(work, 'zipped'), '--json']));
    assert.deepEqual([...zipped.extracted].sort(), files.map((f) => f.name).sort());
    assert.ok((await readFile(join(work, 'zipped', big.name))).equals(whole));
    await assert.rejects(stat(join(work, 'zipped', 'glom-cli.zip')), 'the archive is removed once extracted');
    const lonely = await holdout('student', ['competitions', 'download', '-c', 'glom-cli', '--unzip']);
    assert.equal(lonely.code, 1);
    assert.match(lonely.stderr, /--unzip goes with --zip/);
    const missing = await holdout('student', ['competitions', 'download', '-c', 'glom-cli', '-f', 'nope.csv', '-p', dir]);
    assert.equal(missing.code, EXIT.refused);
    assert.match(missing.stderr, /has no file "nope.csv"/);
  });

  it('submit --wait follows a file to its score (exit 0) or its failure (exit 5, the scorer\'s reason)', async () => {
    const sample = join(work, 'data', 'sample_submission.csv');
    const scored = json(await holdout('student', ['competitions', 'submit', '-c', 'glom-cli', '-f', sample, '-m', 'the sample', '--cv', '0.5', '--wait', '--json']));
    assert.equal(scored.status, 'scored');
    assert.equal(scored.description, 'the sample');
    assert.equal(typeof scored.publicScore, 'number');
    const bad = join(work, 'bad.csv');
    await writeFile(bad, 'id,predicted\nnot-an-image,1 2\n');
    const failed = await holdout('student', ['competitions', 'submit', '-c', 'glom-cli', '-f', bad, '--wait']);
    assert.equal(failed.code, EXIT.failed, failed.stderr);
    assert.match(failed.stdout, /: failed: validation: /);
    const refused = await holdout('student', ['competitions', 'submit', '-c', 'glom-cli', '-f', join(work, 'missing.csv')]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /missing\.csv: no such file/);
    const mine = json(await holdout('student', ['competitions', 'submissions', '-c', 'glom-cli', '--json']));
    assert.deepEqual(mine.map((s: { status: string }) => s.status), ['failed', 'scored']);
    const unselected = json(await holdout('student', ['competitions', 'select', '-c', 'glom-cli', scored.id, '--unselect', '--json']));
    assert.equal(unselected[0].selected, false);
    const selected = json(await holdout('student', ['competitions', 'select', '-c', 'glom-cli', scored.id, '--json']));
    assert.equal(selected[0].selected, true);
    const listing = await holdout('student', ['competitions', 'files', '-c', 'glom-cli']);
    assert.match(listing.stdout, /^name\s+size\n/);
    const board = json(await holdout('student', ['competitions', 'leaderboard', '-c', 'glom-cli', '--json']));
    assert.equal(board.entries.length, 1);
    assert.equal(board.entries[0].teamName, 'Sam');
    const dl = json(await holdout('student', ['competitions', 'leaderboard', '-c', 'glom-cli', '--download', '--json']));
    assert.match(await readFile(join(work, dl.file), 'utf8'), /^rank,team,score,entries,last_submission\n1,"Sam",/);
  });

  it('kernels push --wait runs the starter kernel to a score; status and logs follow the log rule', { skip: IMAGE ? false : 'needs HOLDOUT_KERNEL_IMAGE (npm test builds it)' }, async () => {
    const starter = join(work, 'data', 'starter', 'kernel.py');
    assert.ok((await stat(starter)).size > 0, 'the starter came with the data');
    const run = await holdout('student', ['kernels', 'push', '-c', 'glom-cli', starter, '-m', 'starter', '--wait']);
    assert.equal(run.code, EXIT.ok, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /queued|running/);
    const id = /^(\S+): scored, public score/.exec(run.stdout)?.[1];
    assert.ok(id, run.stdout);
    assert.equal(json(await holdout('student', ['kernels', 'status', id, '--json'])).status, 'scored');
    // The test images of this competition are public: its one run is the public run, whose log
    // and files the team reads (a kernel-only competition hides its hidden run's: kernels.int-spec).
    const studentLog = await holdout('student', ['kernels', 'logs', id]);
    assert.equal(studentLog.code, 0);
    assert.doesNotMatch(studentLog.stdout, /not shown to participants/);
    const runs = await holdout('student', ['kernels', 'runs', id]);
    assert.match(runs.stdout, /^attempt 1 public run: succeeded, .*\n  submission\.csv  /);
    const mine = json(await holdout('student', ['kernels', 'output', id, '--run', 'public', '-p', join(work, 'out-student'), '--json']));
    assert.match(await readFile(mine.file, 'utf8'), /^id,predicted\n/);
    const badRun = await holdout('student', ['kernels', 'logs', id, '--run', 'private']);
    assert.equal(badRun.code, EXIT.usage);
    // Run without submitting: the public run only, complete, not scored.
    const tried = await holdout('student', ['kernels', 'push', '-c', 'glom-cli', starter, '--run-only', '--wait']);
    assert.equal(tried.code, EXIT.ok, `${tried.stdout}\n${tried.stderr}`);
    assert.match(tried.stdout, /: complete \(run without submitting/);
    // A long kernel: the instructor follows its log from before it runs, the student from after
    // it has printed a few lines; the student cancels it (not charged).
    const slow = join(work, 'slow.py');
    await writeFile(slow, "import time\nfor i in range(600):\n    print(f'tick {i}', flush=True)\n    time.sleep(0.2)\n");
    const pushed = json(await holdout('student', ['kernels', 'push', '-c', 'glom-cli', slow, '--json']));
    const follow = holdout('prof', ['kernels', 'logs', pushed.id, '--follow']);
    for (let i = 0; i < 120; i++) {
      if (json(await holdout('student', ['kernels', 'status', pushed.id, '--json'])).status === 'running') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // Lines are printed (in the stored log), however long the sandbox took to start.
    for (let i = 0; i < 120 && !/^tick 3$/m.test((await holdout('prof', ['kernels', 'logs', pushed.id])).stdout); i++) await new Promise((r) => setTimeout(r, 500));
    const late = holdout('student', ['kernels', 'logs', pushed.id, '--follow']);
    await new Promise((r) => setTimeout(r, 1_500)); // it connects, and new lines reach it live
    const cancelled = json(await holdout('student', ['kernels', 'cancel', pushed.id, '--json']));
    assert.equal(cancelled.status, 'cancelled');
    // Either follower prints every line from the first, once, in order: what was printed before it
    // connected, then the new lines.
    for (const [who, followed] of [['early', await follow], ['late', await late]] as const) {
      assert.equal(followed.code, EXIT.failed, `${who}: ${followed.stderr}`);
      const lines = followed.stdout.trimEnd().split('\n');
      assert.ok(lines.length > 5, `${who}: ${followed.stdout}`);
      assert.deepEqual(lines, lines.map((_, i) => `tick ${i}`), who);
      assert.match(followed.stderr, /: cancelled/);
    }
  });

  it('instructors close and see the shake-up; a revoked token, a server that is down and logout give their exit codes', async () => {
    const all = json(await holdout('prof', ['competitions', 'submissions', '-c', 'glom-cli', '--all', '--json']));
    assert.ok(all.length >= 2);
    const rescored = json(await holdout('prof', ['competitions', 'rescore', '-c', 'glom-cli', '--reason', 'check', '--json']));
    assert.equal(rescored.solutionVersion, 1);
    assert.ok(rescored.submissions >= 1);
    const closed = json(await holdout('prof', ['competitions', 'close', '-c', 'glom-cli', '--json']));
    assert.equal(closed.revealed, true);
    const shakeup = json(await holdout('prof', ['competitions', 'shakeup', '-c', 'glom-cli', '--json']));
    assert.equal(shakeup.teams.length, 1);
    const notStaff = await holdout('student', ['competitions', 'close', '-c', 'glom-cli']);
    assert.equal(notStaff.code, EXIT.refused);

    const port = await new Promise<number>((res) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const down = await holdout('student', ['competitions', 'list'], { env: { HOLDOUT_URL: `http://127.0.0.1:${port}` } });
    assert.equal(down.code, EXIT.unreachable);
    assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+ .*is the server running/);

    const tokens = (await api('student', 'GET', '/tokens')) as { id: string }[];
    await fetch(`${stack.api}/api/tokens/${tokens[0]!.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${await tokenOf('student')}` } });
    const revoked = await holdout('student', ['whoami']);
    assert.equal(revoked.code, EXIT.auth);
    assert.match(revoked.stderr, /did not accept your token .*holdout login/);

    assert.equal((await holdout('prof', ['logout'])).code, 0);
    const out = await holdout('prof', ['whoami']);
    assert.equal(out.code, EXIT.auth);
    assert.match(out.stderr, /not signed in/);
  });
});
