import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logFileLines } from '@holdout/db';
import { LogLines } from './log-publisher.js';

describe('LogLines', () => {
  it('joins chunks into lines, batches them, and flushes a partial last line at the end', async () => {
    const batches: string[][] = [];
    const l = new LogLines(async (b) => void batches.push(b), 10_000);
    l.write({ stream: 'stdout', text: 'a\nb' });
    l.write({ stream: 'stdout', text: 'c\nd\n' });
    l.write({ stream: 'stderr', text: 'tail' });
    await l.flush();
    assert.deepEqual(batches, [['a', 'bc', 'd']]);
    await l.flush(true);
    assert.deepEqual(batches, [['a', 'bc', 'd'], ['tail']]);
  });

  it('publishes on its own after the interval', async () => {
    const batches: string[][] = [];
    const l = new LogLines(async (b) => void batches.push(b), 20);
    l.write({ stream: 'stdout', text: 'x\n' });
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(batches, [['x']]);
  });

  it('cuts a line without a newline that grows past the line cap', async () => {
    const batches: string[][] = [];
    const l = new LogLines(async (b) => void batches.push(b), 10_000);
    l.write({ stream: 'stdout', text: 'y'.repeat(5000) });
    await l.flush();
    assert.equal(batches[0]!.length, 1);
    assert.equal(batches[0]![0]!.length, 4001);
    assert.ok(batches[0]![0]!.endsWith('…'), 'the cut is marked');
  });

  it('says where each line starts in the log, in bytes of UTF-8, as the log file splits it', async () => {
    const batches: { lines: string[]; at: number[] }[] = [];
    const l = new LogLines(async (lines, at) => void batches.push({ lines, at }), 10_000);
    const printed = ['é\nb', 'c\n\n', 'ü'.repeat(4100), 'x\nend'];
    for (const text of printed) l.write({ stream: 'stdout', text });
    await l.flush(true);
    const got = batches.flatMap((b) => b.lines.map((line, i) => [line, b.at[i]]));
    // é is 2 bytes; the line of 4100 ü (8200 bytes) is cut at 4000 characters live, and what follows
    // it starts where the file has it.
    assert.deepEqual(got, [
      ['é', 0],
      ['bc', 3],
      ['', 6],
      [`${'ü'.repeat(4000)}…`, 7],
      ['x', 7 + 8200],
      ['end', 7 + 8200 + 2],
    ]);
    // The same text read from the file gives the same starts for the lines it holds whole.
    const file = logFileLines(printed.join(''), true);
    assert.deepEqual([file.at, file.end], [[0, 3, 6, 7, 8209], 8212]);
    // While the run goes on, a last line without its newline is left to the live stream.
    assert.deepEqual(logFileLines('a\nbé', false), { lines: ['a'], at: [0], end: 2 });
    assert.deepEqual(logFileLines('a\nbé', true), { lines: ['a', 'bé'], at: [0, 2], end: 5 });
  });
});
