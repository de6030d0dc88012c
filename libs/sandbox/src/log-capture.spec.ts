import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogChunk } from './kernel-runner.js';
import { LogCapture } from './log-capture.js';

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'logcap-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('LogCapture', () => {
  it('keeps everything under the cap and streams it', () =>
    withDir(async (dir) => {
      const chunks: LogChunk[] = [];
      const cap = new LogCapture(join(dir, 'log'), 1000, (c) => chunks.push(c));
      cap.write('stdout', Buffer.from('hello\n'));
      cap.write('stderr', Buffer.from('oops\n'));
      await cap.close();
      assert.equal(await readFile(join(dir, 'log'), 'utf8'), 'hello\noops\n');
      assert.deepEqual(chunks, [
        { stream: 'stdout', text: 'hello\n' },
        { stream: 'stderr', text: 'oops\n' },
      ]);
      assert.equal(cap.isTruncated, false);
      assert.equal(cap.tailText(), 'hello\noops');
    }));

  it('cuts at the cap, marks the truncation, counts the rest and keeps the real tail', () =>
    withDir(async (dir) => {
      const cap = new LogCapture(join(dir, 'log'), 100, () => undefined);
      for (let i = 0; i < 10_000; i++) cap.write('stdout', Buffer.from(`line ${i}\n`));
      cap.write('stderr', Buffer.from('Traceback: ValueError: boom\n'));
      await cap.close();
      const text = await readFile(join(dir, 'log'), 'utf8');
      assert.ok(text.startsWith('line 0\nline 1\n'));
      assert.match(text, /log truncated after 100 bytes/);
      assert.ok(Buffer.byteLength(text) < 300, `log file is ${Buffer.byteLength(text)} bytes`);
      assert.equal(cap.isTruncated, true);
      assert.ok(cap.bytesSeen > 60_000);
      const tail = cap.tailText(3).split('\n');
      assert.deepEqual(tail, ['line 9998', 'line 9999', 'Traceback: ValueError: boom']);
    }));

  it('does not split a multi-byte character across live chunks', () =>
    withDir(async (dir) => {
      const chunks: string[] = [];
      const cap = new LogCapture(join(dir, 'log'), 1000, (c) => chunks.push(c.text));
      const bytes = Buffer.from('é✓\n');
      cap.write('stdout', bytes.subarray(0, 1));
      cap.write('stdout', bytes.subarray(1));
      await cap.close();
      assert.equal(chunks.join(''), 'é✓\n');
      assert.ok(chunks.every((c) => !c.includes('\ufffd')));
    }));

  it("keeps each stream's lines whole when the two arrive interleaved in pieces", () =>
    withDir(async (dir) => {
      // What unbuffered Python sends: print's text and its newline as two writes, and the
      // traceback's "ValueError: " before its message, with the engine interleaving the streams.
      const chunks: LogChunk[] = [];
      const cap = new LogCapture(join(dir, 'log'), 1000, (c) => chunks.push(c));
      cap.write('stdout', Buffer.from('step 1'));
      cap.write('stderr', Buffer.from('Traceback (most recent call last):\n'));
      cap.write('stderr', Buffer.from('ValueError: '));
      cap.write('stdout', Buffer.from('\n'));
      cap.write('stderr', Buffer.from('mask shape\n'));
      cap.write('stdout', Buffer.from('10%|#  |\r20%|## |\r30'));
      assert.equal(cap.tailText(), 'Traceback (most recent call last):\nstep 1\nValueError: mask shape\n10%|#  |\r20%|## |\r30');
      await cap.close();
      assert.equal(
        await readFile(join(dir, 'log'), 'utf8'),
        'Traceback (most recent call last):\nstep 1\nValueError: mask shape\n10%|#  |\r20%|## |\r30',
      );
      assert.deepEqual(
        chunks.map((c) => c.stream),
        ['stderr', 'stdout', 'stderr', 'stdout', 'stdout'],
      );
    }));

  it('passes on a long line without an end once it passes 4 KiB', () =>
    withDir(async (dir) => {
      const chunks: string[] = [];
      const cap = new LogCapture(join(dir, 'log'), 100_000, (c) => chunks.push(c.text));
      for (let i = 0; i < 5; i++) cap.write('stdout', Buffer.alloc(1024, 'x'));
      assert.equal(chunks.join('').length, 5 * 1024);
      await cap.close();
    }));

  it('survives a listener that throws', () =>
    withDir(async (dir) => {
      const cap = new LogCapture(join(dir, 'log'), 1000, () => {
        throw new Error('listener bug');
      });
      cap.write('stdout', Buffer.from('still captured\n'));
      await cap.close();
      assert.equal(await readFile(join(dir, 'log'), 'utf8'), 'still captured\n');
    }));
});
