#!/usr/bin/env node
// Web benchmark: the server-rendered leaderboard with 500 teams (time to first byte) and the
// JavaScript the leaderboard route ships (gzipped, from the build's chunks). Prints JSON lines.
//
//   npm run build -w @holdout/web && node bench/web/run.mjs [--teams 500] [--requests 40]
//
// The API is stood in for by bench/web/stub-api.mjs (contract-shaped answers, < 1 ms), so the
// figure is the web server's own cost: fetching, rendering and streaming the page. The page's frame
// is sent first and the 500-row board streams in after it (Suspense): ttfbMs is the first byte,
// totalMs the whole document with every row.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStub } from './stub-api.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WEB = join(ROOT, 'apps/web');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const TEAMS = arg('teams', 500);
const REQUESTS = arg('requests', 40);
const TTFB_BUDGET_MS = 300;
const JS_BUDGET_KB = 200;

if (!existsSync(join(WEB, '.next/BUILD_ID'))) {
  console.error('apps/web is not built: run `npm run build -w @holdout/web` first');
  process.exit(2);
}

const freePort = () =>
  new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

/** One GET; resolves with the time to the first byte (status line and headers) and to the end. */
function timedGet(url, headers) {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const req = request(url, { headers }, (r) => {
      const ttfb = Number(process.hrtime.bigint() - t0) / 1e6;
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode, ttfb, total: Number(process.hrtime.bigint() - t0) / 1e6, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', rej);
    req.end();
  });
}

/** CPU time (ms) the web server process has used so far (Linux /proc), or null elsewhere. */
function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return null;
  }
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const round = (x) => Math.round(x * 10) / 10;

/** Every JS chunk the page loads: <script src> tags plus chunks named in the RSC payload. */
function routeJs(html) {
  const names = new Set();
  for (const m of html.matchAll(/\/_next\/(static\/[^"'\\\s]+?\.js)/g)) names.add(m[1]);
  for (const m of html.matchAll(/"(static\/chunks\/[^"'\\\s]+?\.js)/g)) names.add(m[1]);
  let raw = 0;
  let gz = 0;
  const files = [];
  for (const n of names) {
    const path = join(WEB, '.next', n);
    if (!existsSync(path)) continue;
    const buf = readFileSync(path);
    const g = gzipSync(buf, { level: 9 }).length;
    raw += buf.length;
    gz += g;
    files.push({ file: n, gzipBytes: g });
  }
  return { raw, gz, files: files.sort((a, b) => b.gzipBytes - a.gzipBytes) };
}

// Never leave the web server behind, whatever happens to this process (e.g. EPIPE under `| head`).
process.stdout.on('error', () => process.exit(0));
const stub = await startStub(0, TEAMS);
const apiUrl = `http://127.0.0.1:${stub.address().port}`;
const port = await freePort();
const next = spawn(process.execPath, [join(WEB, 'server.mjs')], {
  cwd: WEB,
  env: { ...process.env, HOLDOUT_API_URL: apiUrl, NODE_ENV: 'production', PORT: String(port), HOSTNAME: '127.0.0.1' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
process.on('exit', () => next.kill('SIGTERM'));
const base = `http://127.0.0.1:${port}`;
// A browser's user agent: Next.js holds the whole document back (no streaming) for agents it takes
// for bots, and a request without one is taken for a bot.
const headers = {
  cookie: 'holdout_session=bench',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
};
try {
  for (let i = 0; ; i++) {
    try {
      if ((await timedGet(`${base}/login`, {})).status === 200) break;
    } catch {
      // not up yet
    }
    if (i > 200) throw new Error('the web server did not come up');
    await sleep(100);
  }
  const pages = [
    ['leaderboard', '/competitions/bench/leaderboard'],
    ['leaderboard-private', '/competitions/bench/leaderboard?split=private'],
  ];
  for (const [name, path] of pages) {
    for (let i = 0; i < 5; i++) await timedGet(base + path, headers); // warm-up
    const ttfb = [];
    const total = [];
    let body = '';
    const cpu0 = cpuMs(next.pid);
    for (let i = 0; i < REQUESTS; i++) {
      const r = await timedGet(base + path, headers);
      if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
      ttfb.push(r.ttfb);
      total.push(r.total);
      body = r.body;
    }
    const cpu1 = cpuMs(next.pid);
    const rows = (body.match(/<tr[ >]/g) ?? []).length - 1;
    console.log(
      JSON.stringify({
        bench: 'web.ssr', page: name, teams: TEAMS, rowsRendered: rows, requests: REQUESTS,
        ttfbMs: { p50: round(pct(ttfb, 50)), p95: round(pct(ttfb, 95)), max: round(Math.max(...ttfb)) },
        totalMs: { p50: round(pct(total, 50)), p95: round(pct(total, 95)) },
        htmlKB: round(Buffer.byteLength(body) / 1024), budgetMs: TTFB_BUDGET_MS, withinBudget: pct(ttfb, 95) <= TTFB_BUDGET_MS,
        // Server CPU per request does not depend on what else the machine is running; the load does.
        serverCpuMsPerRequest: cpu0 !== null && cpu1 !== null ? round((cpu1 - cpu0) / REQUESTS) : null,
        loadavg1m: round(loadavg()[0]), cpus: (await import('node:os')).cpus().length,
      }),
    );
  }
  for (const [name, path] of [['leaderboard', '/competitions/bench/leaderboard'], ['shakeup', '/competitions/bench/shakeup'], ['submit', '/competitions/bench/submit']]) {
    const r = await timedGet(base + path, headers);
    const js = routeJs(r.body);
    console.log(
      JSON.stringify({
        bench: 'web.js', route: name, chunks: js.files.length, rawKB: round(js.raw / 1024), gzipKB: round(js.gz / 1024),
        budgetKB: name === 'leaderboard' ? JS_BUDGET_KB : undefined, withinBudget: name === 'leaderboard' ? js.gz / 1024 <= JS_BUDGET_KB : undefined,
        largest: js.files.slice(0, 3).map((f) => `${f.file.replace('static/chunks/', '')}:${round(f.gzipBytes / 1024)}KB`),
      }),
    );
  }
} finally {
  next.kill('SIGTERM');
  stub.close();
}
