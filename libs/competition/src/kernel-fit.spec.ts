import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateWaitSeconds, fitToHost, kernelRequestWarnings, type KernelHost } from './kernel-fit.js';

const GiB = 1024 ** 3;
const host = (cpus: number, memoryGiB: number, gpus = 0): KernelHost => ({ owner: `h${cpus}-${memoryGiB}-${gpus}`, cpus, memoryBytes: memoryGiB * GiB, gpus });
const sartorius = { cpus: 4, memoryBytes: 16 * GiB, gpus: 1 };

describe('kernel requests against kernel workers', () => {
  it('a run gets what it asks for, at most what its host has (less a reserve for the host)', () => {
    assert.deepEqual(fitToHost(sartorius, host(8, 64, 1)), { cpus: 4, memoryBytes: 16 * GiB, clamped: [] });
    assert.deepEqual(fitToHost(sartorius, host(2, 8)), { cpus: 2, memoryBytes: 7 * GiB, clamped: ['4 CPUs asked, 2 given', '16 GB of memory asked, 7 GB given'] });
    assert.equal(fitToHost(sartorius, host(2, 1)).memoryBytes, GiB / 2, 'a tiny host keeps half');
  });

  const cases: [what: string, hosts: KernelHost[], cpuFallback: boolean, expected: RegExp[]][] = [
    ['no worker', [], false, [/^No kernel worker is running now/]],
    ['a big GPU worker', [host(8, 64, 1)], false, []],
    ['CPU-only workers, no fallback', [host(8, 64)], false, [/no kernel worker has one: they wait until a GPU worker starts, unless the kernel policy allows/]],
    ['CPU-only workers, fallback', [host(8, 64)], true, [/no kernel worker has one: they run on the CPU/]],
    ['a small worker', [host(2, 8, 1)], false, [/ask for 4 CPUs but the largest kernel worker has 2: runs get 2/, /ask for 16 GB of memory but the largest kernel worker can give 7 GB/]],
    ['the largest of several counts', [host(2, 8, 1), host(16, 32, 0)], false, []],
  ];
  for (const [what, hosts, cpuFallback, expected] of cases) {
    it(`warns instructors: ${what}`, () => {
      const warnings = kernelRequestWarnings(sartorius, hosts, { cpuFallback });
      assert.equal(warnings.length, expected.length, warnings.join('\n'));
      expected.forEach((re, i) => assert.match(warnings[i]!, re));
    });
  }

  it('estimates a queued kernel\'s wait from the runs ahead, the workers and recent run times', () => {
    assert.equal(estimateWaitSeconds({ position: 1, consumers: 1, recentRunSeconds: [100] }), 50);
    assert.equal(estimateWaitSeconds({ position: 3, consumers: 1, recentRunSeconds: [100, 300, 200] }), 500);
    assert.equal(estimateWaitSeconds({ position: 3, consumers: 2, recentRunSeconds: [100, 200] }), 225);
    assert.equal(estimateWaitSeconds({ position: 1, consumers: 0, recentRunSeconds: [100] }), null, 'no worker takes it');
    assert.equal(estimateWaitSeconds({ position: 1, consumers: 1, recentRunSeconds: [] }), null, 'no history');
  });
});
