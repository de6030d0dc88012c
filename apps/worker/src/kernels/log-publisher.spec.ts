import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});
