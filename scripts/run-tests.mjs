#!/usr/bin/env node
// Runs node's test runner over compiled tests. Node 20's `--test` takes no globs, so we find the
// files here. Usage: node scripts/run-tests.mjs unit|int|e2e [filter-substring]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

// `all` runs every suite in one runner invocation (the slow files first, see `order`), so a
// single summary closes the output.
const SUFFIXES = { unit: '.spec.js', int: '.int-spec.js', e2e: '.e2e-spec.js' };
const suite = process.argv[2] ?? 'unit';
const suites = suite === 'all' ? Object.keys(SUFFIXES) : [suite];
if (!suites.every((s) => s in SUFFIXES)) {
  console.error('usage: run-tests.mjs unit|int|e2e|all [filter]');
  process.exit(2);
}
const filter = process.argv[3] ?? '';

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === '.next') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

const roots = ['libs', 'apps'].flatMap((top) => {
  try {
    return readdirSync(top).map((d) => join(top, d, 'dist'));
  } catch {
    return [];
  }
});
if (statSafe('e2e/dist')) roots.push('e2e/dist');
const all = roots.filter(statSafe).flatMap((root) => [...walk(root)]);
const kindOf = (f) => (f.endsWith('.int-spec.js') ? 'int' : f.endsWith('.e2e-spec.js') ? 'e2e' : f.endsWith('.spec.js') ? 'unit' : null);
const bySuite = Object.fromEntries(suites.map((s) => [s, all.filter((f) => kindOf(f) === s && f.includes(filter)).sort()]));
const files = order(bySuite);

if (files.length === 0) {
  console.error(`no ${suites.join('/')} test files found (did the build run?)`);
  process.exit(1);
}
// Every test file gets its own database, data directory, queue prefix and port (createTestEnv), so
// files may run side by side. Two at a time: most integration and browser files spend their time
// waiting on a worker, a container or Chromium, so a second file fills that wait; more than two
// starves the timing-sensitive ones on a 2-core machine. HOLDOUT_TEST_CONCURRENCY=1 runs them one by one.
const concurrency = Math.max(1, Number(process.env.HOLDOUT_TEST_CONCURRENCY ?? 2) || 1);
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);

/**
 * Longest first, so the slow files do not end up alone at the end: browser and integration files
 * alternate (one Chromium stack beside one worker-bound file rather than two Chromium stacks), and
 * the quick unit files fill in last.
 */
function order({ unit = [], int = [], e2e = [] }) {
  const slow = [];
  for (let i = 0; i < Math.max(int.length, e2e.length); i++) slow.push(...[e2e[i], int[i]].filter(Boolean));
  return [...slow, ...unit];
}

function statSafe(p) {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
