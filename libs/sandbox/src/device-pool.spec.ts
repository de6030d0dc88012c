import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DevicePool } from './device-pool.js';

describe('DevicePool', () => {
  it('parses HOLDOUT_GPUS lists', () => {
    assert.deepEqual(DevicePool.fromList('0, 1,GPU-ab').devices, ['0', '1', 'GPU-ab']);
    assert.equal(DevicePool.fromList('').size, 0);
    assert.equal(DevicePool.fromList(undefined).size, 0);
    assert.throws(() => DevicePool.fromList('0,0'));
  });

  it('gives each device to one job at a time, then to waiters in order', async () => {
    const pool = new DevicePool(['0', '1']);
    const a = await pool.acquire();
    const b = await pool.acquire();
    assert.notEqual(a, b);
    assert.equal(pool.tryAcquire(), null);
    const order: string[] = [];
    const c = pool.acquire().then((id) => (order.push('c'), id));
    const d = pool.acquire().then((id) => (order.push('d'), id));
    pool.release(b);
    assert.equal(await c, b);
    pool.release(a);
    assert.equal(await d, a);
    assert.deepEqual(order, ['c', 'd']);
  });

  it('rejects on a worker without devices and on double release', async () => {
    await assert.rejects(new DevicePool([]).acquire(), /no GPU/);
    const pool = new DevicePool(['0']);
    const id = await pool.acquire();
    pool.release(id);
    assert.throws(() => pool.release(id), /twice/);
  });

  it('stops waiting when aborted and releases after withDevice throws', async () => {
    const pool = new DevicePool(['0']);
    const held = await pool.acquire();
    const ac = new AbortController();
    const waiting = pool.acquire(ac.signal);
    ac.abort(new Error('cancelled'));
    await assert.rejects(waiting, /cancelled/);
    pool.release(held);
    assert.equal(pool.available, 1, 'the aborted waiter did not take the device');
    await assert.rejects(pool.withDevice(async () => Promise.reject(new Error('kernel failed'))), /kernel failed/);
    assert.equal(pool.available, 1);
  });
});
