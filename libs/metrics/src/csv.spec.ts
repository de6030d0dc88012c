import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CsvReader, TextSink } from './csv.js';

/** Reads `csv` in chunks of `chunk` bytes; returns each data row's `repeated` for the one column. */
function repeatedFlags(csv: string, chunk = 1 << 20): boolean[] {
  const sink = new TextSink();
  const flags: boolean[] = [];
  const reader = new CsvReader('test', { header: () => [sink], record: () => flags.push(sink.repeated) });
  const bytes = Buffer.from(csv);
  for (let at = 0; at < bytes.length; at += chunk) reader.write(bytes.subarray(at, at + chunk));
  reader.close();
  return flags;
}

describe('TextSink.repeated', () => {
  it('is true exactly when a field has the previous field\'s bytes', () => {
    const csv = 'id\nabc\nabc\nab\nab\nabcd\nabd\nabd\n\n""\n""\n';
    // Blank lines are skipped; "" is an empty field, which repeats the previous empty one.
    assert.deepEqual(repeatedFlags(csv), [false, true, false, true, false, false, true, false, true]);
  });

  it('gives the same answers whatever the chunking', () => {
    const csv = 'id\n"a""b"\n"a""b"\nxy\nxy\n"x\ny"\n"x\ny"\n';
    const whole = repeatedFlags(csv);
    assert.deepEqual(whole, [false, true, false, true, false, true]);
    for (let chunk = 1; chunk < csv.length; chunk++) assert.deepEqual(repeatedFlags(csv, chunk), whole, `chunks of ${chunk}`);
  });

  it('never calls a long field, or one that outgrew the buffer, repeated', () => {
    const long = 'x'.repeat(40);
    const huge = 'y'.repeat(100);
    assert.deepEqual(repeatedFlags(`id\n${long}\n${long}\n${huge}\n${huge}\n`), [false, false, false, false]);
  });
});
