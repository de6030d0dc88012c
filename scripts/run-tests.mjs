#!/usr/bin/env node
// Runs node's test runner over compiled tests. Node 20's `--test` takes no globs, so we find the
// files here. Usage: node scripts/run-tests.mjs unit|int|e2e [filter-substring]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const suffix = { unit: '.spec.js', int: '.int-spec.js', e2e: '.e2e-spec.js' }[process.argv[2] ?? 'unit'];
if (!suffix) {
  console.error('usage: run-tests.mjs unit|int|e2e [filter]');
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

const roots = ['libs', 'apps', 'e2e'].flatMap((top) => {
  try {
    return readdirSync(top).map((d) => join(top, d, 'dist'));
  } catch {
    return [];
  }
});
if (statSafe('e2e/dist')) roots.push('e2e/dist');
const files = roots
  .filter(statSafe)
  .flatMap((root) => [...walk(root)])
  .filter((f) => f.endsWith(suffix) && (suffix !== '.spec.js' || !/\.(int|e2e)-spec\.js$/.test(f)))
  .filter((f) => f.includes(filter))
  .sort();

if (files.length === 0) {
  console.error(`no ${suffix} files found (did the build run?)`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);

function statSafe(p) {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
