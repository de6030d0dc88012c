#!/usr/bin/env node
// Keeps the platform's apps running for `npm start`: each app runs in its own process group and
// is restarted with backoff when it exits, with the reason logged; one app crashing never stops
// the others. SIGINT/SIGTERM (Ctrl-C) stops every app — its whole process group, so children such
// as next-server go too — and then this process exits.
//
//   node scripts/supervise.mjs '[{"name":"api","cmd":["node","apps/api/dist/main.js"],"env":{…},"cwd":"…"}, …]'
//
// Production deployments use a real supervisor instead (systemd units or container restart
// policies): see docs/production.md.
import { spawn } from 'node:child_process';

const BACKOFF_MS = { first: 1000, max: 30_000 };
/** An app that ran this long before exiting restarts after the first backoff again. */
const HEALTHY_AFTER_MS = 60_000;
/** On stop: SIGTERM, then SIGKILL to what is left of a group after this long. */
const STOP_GRACE_MS = 10_000;

const apps = JSON.parse(process.argv[2] ?? '[]');
if (!Array.isArray(apps) || apps.length === 0) {
  console.error('usage: supervise.mjs \'[{"name":"api","cmd":["node","apps/api/dist/main.js"]}]\'');
  process.exit(2);
}

const log = (msg) => process.stderr.write(`[supervisor] ${new Date().toISOString()} ${msg}\n`);
let stopping = false;
const running = new Map(); // name → child

function start(app, delay = BACKOFF_MS.first) {
  if (stopping) return;
  const startedAt = Date.now();
  const child = spawn(app.cmd[0], app.cmd.slice(1), {
    cwd: app.cwd ?? process.cwd(),
    env: { ...process.env, ...(app.env ?? {}) },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true, // its own process group: Ctrl-C reaches us, and we stop the whole group
  });
  running.set(app.name, child);
  log(`${app.name} started (pid ${child.pid})`);
  child.on('error', (err) => log(`${app.name} could not start: ${err.message}`));
  child.on('exit', (code, signal) => {
    running.delete(app.name);
    if (stopping) return;
    killGroup(child, 'SIGKILL'); // what it left behind (a next-server holding the port, say)
    const ranMs = Date.now() - startedAt;
    const wait = ranMs >= HEALTHY_AFTER_MS ? BACKOFF_MS.first : delay;
    const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    log(`${app.name} ${why} after ${Math.round(ranMs / 1000)} s; restarting in ${Math.round(wait / 1000)} s`);
    setTimeout(() => start(app, Math.min(wait * 2, BACKOFF_MS.max)), wait).unref();
  });
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

async function stopAll(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping ${[...running.keys()].join(', ') || 'nothing'}`);
  const children = [...running.values()];
  const exits = children.map((child) => new Promise((resolve) => {
    child.once('exit', resolve);
    killGroup(child, 'SIGTERM');
    setTimeout(() => killGroup(child, 'SIGKILL'), STOP_GRACE_MS).unref();
  }));
  await Promise.all(exits);
  // A grandchild that outlived its parent (next-server under npm, say) is still in the group.
  for (const child of children) killGroup(child, 'SIGKILL');
  log('stopped');
  process.exit(0);
}

process.on('SIGINT', () => void stopAll('SIGINT'));
process.on('SIGTERM', () => void stopAll('SIGTERM'));
process.on('SIGHUP', () => void stopAll('SIGHUP'));
for (const app of apps) start(app);
// Keep the event loop alive while apps are between restarts.
setInterval(() => {}, 1 << 30);
