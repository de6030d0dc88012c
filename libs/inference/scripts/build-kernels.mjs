// Assembles src/kernels/*.wat into src/kernels/*.wasm.ts (the module's bytes, base64), which the
// build compiles like any other source: the package needs no asset copying and no assembler at run
// time. `node scripts/build-kernels.mjs --check` exits 1 when a committed .wasm.ts is out of date.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleKernel, kernelModuleSource } from './kernels.mjs';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'kernels');
const check = process.argv.includes('--check');
let stale = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.wat'))) {
  const target = join(dir, file.replace(/\.wat$/, '.wasm.ts'));
  const source = kernelModuleSource(file, await assembleKernel(readFileSync(join(dir, file), 'utf8'), file));
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {}
  if (current === source) continue;
  if (check) {
    console.error(`${target} is out of date with ${file}: run npm run build:kernels -w @holdout/inference`);
    stale++;
  } else {
    writeFileSync(target, source);
    console.log(`wrote ${target}`);
  }
}
process.exit(stale ? 1 : 0);
