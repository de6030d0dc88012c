import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hash2, Rng } from './rng.js';

describe('Rng', () => {
  it('repeats a stream for the same seed and labels', () => {
    const a = Rng.for(7, 'slide', 3);
    const b = Rng.for(7, 'slide', 3);
    assert.deepEqual(Array.from({ length: 5 }, () => a.nextUint32()), Array.from({ length: 5 }, () => b.nextUint32()));
  });

  it('gives different streams for other seeds or labels', () => {
    const first = (rng: Rng) => rng.nextUint32();
    const base = first(Rng.for(7, 'slide', 3));
    assert.notEqual(first(Rng.for(8, 'slide', 3)), base);
    assert.notEqual(first(Rng.for(7, 'slide', 4)), base);
    assert.notEqual(first(Rng.for(7, 'slide3')), first(Rng.for(7, 'slide', 3)));
  });

  it('draws in range', () => {
    const rng = Rng.for(1);
    for (let i = 0; i < 1000; i++) {
      const u = rng.next();
      assert.ok(u >= 0 && u < 1);
      const k = rng.int(2, 4);
      assert.ok(k >= 2 && k <= 4 && Number.isInteger(k));
    }
    assert.match(rng.hexId(12), /^[0-9a-f]{12}$/);
  });

  it('hash2 is a pure function of its inputs', () => {
    assert.equal(hash2(10, 20, 3), hash2(10, 20, 3));
    assert.notEqual(hash2(10, 20, 3), hash2(20, 10, 3));
  });
});
