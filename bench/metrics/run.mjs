#!/usr/bin/env node
// Benchmark of `holdout score` (issue 2). Generates the inputs deterministically (cached under
// bench/output/metrics/), then, per case, times the whole `holdout score` process next to
//   (a) naive.mjs, a straightforward rasterising scorer, and
//   (b) scan.mjs, a bare read-and-scan of the same bytes (the floor),
// and prints one JSON line per measurement and one summary line per case with the ratios and
// goals. Wall time is measured around the child process; peak RSS and CPU time come from the
// child itself (usage-hook.mjs). Needs a build first (`npx tsc -b libs/metrics apps/cli`).
//
// Usage: node bench/metrics/run.mjs [--runs N] [--case hubmap|sartorius]... [--no-naive]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureCase } from './generate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cli = join(root, 'apps', 'cli', 'bin', 'holdout.cjs');
const hook = pathToFileURL(join(here, 'usage-hook.mjs')).href;

const CASES = {
  hubmap: { metric: 'dice', order: 'column', goals: { wallMs: 500, maxRssMB: 250, scanRatio: 4 } },
  sartorius: { metric: 'instance-map', order: 'row', goals: { wallMs: 500, scanRatio: 4 } },
};

const args = process.argv.slice(2);
const runs = Number(valueOf('--runs') ?? 5);
const chosen = args.flatMap((a, i) => (args[i - 1] === '--case' ? [a] : []));
const naive = !args.includes('--no-naive');

if (!existsSync(join(root, 'apps', 'cli', 'dist', 'main.cjs')) || !existsSync(join(root, 'libs', 'metrics', 'dist', 'index.js'))) {
  console.error('build first: npx tsc -b libs/metrics apps/cli');
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), 'holdout-bench-'));
try {
  for (const name of chosen.length > 0 ? chosen : Object.keys(CASES)) await bench(name, CASES[name]);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

async function bench(name, c) {
  const dir = await ensureCase(name);
  const solution = join(dir, 'solution.csv');
  const submission = join(dir, 'submission.csv');
  const bytes = statSync(solution).size + statSync(submission).size;
  const impls = {
    'holdout-score': [cli, 'score', '--metric', c.metric, '--rle-order', c.order, '--solution', solution, '--submission', submission, '--json'],
    library: [join(here, 'library.mjs'), c.metric, c.order, solution, submission],
    scan: [join(here, 'scan.mjs'), solution, submission],
    // The score command's fixed cost (node, the CLI, the scorer's modules) with no scoring, to
    // show how much of the process is the scorer at work.
    'cli-startup': [cli, 'score', '--help'],
    'node-startup': ['-e', '0'],
  };
  // NODE_EXTRA_CA_CERTS (set on these machines for the package proxy) makes Node parse a
  // certificate bundle before running any code: every process above pays it. A bare start
  // without it shows how much of each figure that is.
  const caCerts = process.env.NODE_EXTRA_CA_CERTS;
  if (caCerts) impls['node-startup-without-extra-ca-certs'] = ['-e', '0'];
  const results = Object.fromEntries(Object.keys(impls).map((k) => [k, []]));
  // Alternate the two so that load on this shared machine hits both alike.
  for (let r = 0; r < runs; r++) {
    for (const [impl, argv] of Object.entries(impls)) {
      const m = await measure(argv, impl === 'node-startup-without-extra-ca-certs' ? { NODE_EXTRA_CA_CERTS: undefined } : {});
      results[impl].push(m);
      emit({ bench: 'metrics', case: name, impl, run: r, wallMs: m.wallMs, cpuMs: m.cpuMs, maxRssMB: m.maxRssMB });
    }
  }
  const ours = summary(results['holdout-score']);
  const library = summary(results.library);
  const floor = summary(results.scan);
  const startup = summary(results['cli-startup']);
  const nodeStartup = summary(results['node-startup']);
  const bareStartup = caCerts ? summary(results['node-startup-without-extra-ca-certs']) : null;
  const score = JSON.parse(results['holdout-score'][0].stdout).score;
  if (JSON.parse(results.library[0].stdout).score !== score) throw new Error(`${name}: library and CLI scores differ`);
  let naiveResult = null;
  if (naive) {
    const m = await measure([join(here, 'naive.mjs'), c.metric, solution, submission, c.order]);
    naiveResult = { wallMs: m.wallMs, cpuMs: m.cpuMs, maxRssMB: m.maxRssMB, score: JSON.parse(m.stdout).score };
    emit({ bench: 'metrics', case: name, impl: 'naive-raster', run: 0, ...naiveResult });
  }
  const scanRatio = round(ours.wallMs / floor.wallMs);
  emit({
    bench: 'metrics',
    case: name,
    summary: true,
    metric: c.metric,
    inputMB: round(bytes / 1e6),
    score,
    runs,
    holdout: ours,
    library,
    scan: floor,
    cliStartup: startup,
    nodeStartup,
    // With NODE_EXTRA_CA_CERTS set, the start-up of a bare Node without it (null when unset).
    nodeStartupWithoutExtraCaCerts: bareStartup,
    naive: naiveResult,
    ratioToScan: scanRatio,
    cpuRatioToScan: round(ours.cpuMs / floor.cpuMs),
    // The scorer in a process that loads nothing else: what `holdout score` costs once the CLI
    // loads only what the command needs.
    libraryRatioToScan: round(library.wallMs / floor.wallMs),
    libraryCpuRatioToScan: round(library.cpuMs / floor.cpuMs),
    speedupOverNaive: naiveResult && round(naiveResult.wallMs / ours.wallMs),
    sameScoreAsNaive: naiveResult && Math.abs(naiveResult.score - score) < 1e-9,
    goals: {
      ...c.goals,
      wallMet: ours.wallMs <= c.goals.wallMs,
      rssMet: c.goals.maxRssMB === undefined ? null : ours.maxRssMB <= c.goals.maxRssMB,
      scanRatioMet: scanRatio <= c.goals.scanRatio,
    },
    loadavg: loadavg().map(round),
  });
}

/** Median wall and CPU time, and the largest peak RSS, over the runs. */
function summary(ms) {
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  return {
    wallMs: round(median(ms.map((m) => m.wallMs))),
    wallMsMin: round(Math.min(...ms.map((m) => m.wallMs))),
    cpuMs: round(median(ms.map((m) => m.cpuMs))),
    maxRssMB: round(Math.max(...ms.map((m) => m.maxRssMB))),
  };
}

/** Runs `node --import usage-hook argv…` once; `env` overrides variables (undefined removes). */
function measure(argv, env = {}) {
  const usageFile = join(tmp, `usage-${Math.random().toString(36).slice(2)}.json`);
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', hook, ...argv], {
      cwd: root,
      env: Object.fromEntries(Object.entries({ ...process.env, ...env, HOLDOUT_BENCH_USAGE: usageFile }).filter(([, v]) => v !== undefined)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited ${code}: ${stdout}`));
      const u = JSON.parse(readFileSync(usageFile, 'utf8'));
      resolve({ wallMs, cpuMs: (u.userUs + u.systemUs) / 1000, maxRssMB: u.maxRssKB / 1024, stdout });
    });
  });
}

function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function round(x) {
  return Math.round(x * 100) / 100;
}

function valueOf(flag) {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}
