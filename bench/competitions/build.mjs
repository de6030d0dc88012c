#!/usr/bin/env node
// Benchmark: time (and peak memory) to build each bundled competition's data from scratch.
//   node bench/competitions/build.mjs [--scale demo|full] [--only <slug>] [--data-dir D] [--keep]
// Each competition is built in its own child process so its peak RSS (which includes libvips)
// is its own. Build libs/competition first (npx tsc -b libs/competition).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: 'demo' },
    only: { type: 'string' },
    'data-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

if (values.child) {
  // Child: build one competition, report timings and peak memory as one JSON line.
  const { buildCompetitionData } = await import('@holdout/competition');
  const started = performance.now();
  const built = await buildCompetitionData({ slug: values.child, dataDir: values['data-dir'], scale: values.scale });
  const seconds = (performance.now() - started) / 1000;
  const again = performance.now();
  const cached = await buildCompetitionData({ slug: values.child, dataDir: values['data-dir'], scale: values.scale });
  console.log(
    JSON.stringify({
      slug: values.child,
      scale: values.scale,
      seconds: Number(seconds.toFixed(2)),
      cachedSeconds: Number(((performance.now() - again) / 1000).toFixed(3)),
      cachedHit: cached.cached && !built.cached,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      root: built.paths.root,
    }),
  );
  process.exit(0);
}

const slugs = values.only ? [values.only] : ['hubmap-glomeruli', 'sartorius-cells'];
const dataDir = values['data-dir'] ?? mkdtempSync(join(tmpdir(), 'holdout-bench-'));
let total = 0;
try {
  for (const slug of slugs) {
    const child = spawnSync(process.execPath, [process.argv[1], '--child', slug, '--scale', values.scale, '--data-dir', dataDir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`${slug}: build failed (exit ${child.status})`);
    const result = JSON.parse(child.stdout.trim().split('\n').pop());
    const du = spawnSync('du', ['-sm', result.root], { encoding: 'utf8' }).stdout.split('\t')[0];
    total += result.seconds;
    // JSON lines on stdout (machine-readable, like every benchmark); a readable table on stderr.
    console.log(JSON.stringify({ bench: 'competitions.build', ...result, diskMB: Number(du) }));
    console.error(
      `${slug.padEnd(18)} ${values.scale.padEnd(5)} build ${result.seconds.toFixed(1).padStart(7)} s   ` +
        `cached ${(result.cachedSeconds * 1000).toFixed(0).padStart(4)} ms   peak RSS ${String(result.peakRssMiB).padStart(5)} MiB   ${du} MB on disk`,
    );
  }
  const goalSeconds = values.scale === 'demo' ? 60 : null;
  console.log(
    JSON.stringify({
      bench: 'competitions.total',
      scale: values.scale,
      seconds: Number(total.toFixed(2)),
      goal: goalSeconds === null ? null : { seconds: goalSeconds },
      pass: goalSeconds === null ? null : total <= goalSeconds,
    }),
  );
} finally {
  if (!values.keep && !values['data-dir']) rmSync(dataDir, { recursive: true, force: true });
}
