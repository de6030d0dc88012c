import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { formatIssue, type BundleCheckProgress, type BundleIssue, type InspectedBundle } from '@holdout/competition';
import { DomainError } from '../../common/domain-error.js';
import type { BundleUpload } from './bundles.js';

/** Heap of the child that reads an uploaded bundle: competition.yaml is ≤ 64 KB and pages ≤ 1 MB each. */
export const INSPECTOR_HEAP_MB = 192;
/** Its output: the checked config and pages as JSON, a few MB at most. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

const ENTRY = fileURLToPath(import.meta.resolve('@holdout/competition/inspect-main'));

/**
 * Unpacks and checks an uploaded bundle archive in a child process (libs/competition's
 * inspect-main) with a small heap and a time limit, so that a hostile archive, YAML file or image
 * header costs that child — never the API's heap or event loop. Returns the checked bundle, or
 * throws a DomainError: `bad_request` listing the bundle's problems, `unprocessable` when the
 * check ran out of memory or time. Nothing is left under `into` on failure.
 */
export async function inspectBundleInChild(o: BundleUpload): Promise<InspectedBundle> {
  const args = JSON.stringify({ archive: o.archive, into: o.into, maxTotalBytes: o.maxTotalBytes, now: o.now.toISOString() });
  const child = spawn(process.execPath, [`--max-old-space-size=${INSPECTOR_HEAP_MB}`, '--stack-size=984', ENTRY, args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, NODE_ENV: process.env.NODE_ENV },
  });
  // Lines: progress reports as they come, then the result (the last line).
  let pending = '';
  let result = '';
  let outBytes = 0;
  let err = '';
  let timedOut = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => {
    outBytes += Buffer.byteLength(c);
    if (outBytes > MAX_OUTPUT_BYTES) return void child.kill('SIGKILL');
    pending += c;
    let i: number;
    while ((i = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      if (line.startsWith('{"progress":')) {
        try {
          o.onProgress?.((JSON.parse(line) as { progress: BundleCheckProgress }).progress);
        } catch {
          // a malformed report is not worth failing the check for
        }
      } else if (line) result = line;
    }
  });
  child.stderr.on('data', (c: Buffer) => {
    if (err.length < 8192) err += c.toString('utf8');
  });
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, o.timeoutMs);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  clearTimeout(timer);

  if (code === 0 && outBytes <= MAX_OUTPUT_BYTES && (result || pending)) {
    const line = JSON.parse(result || pending) as { ok: true; bundle: InspectedBundle } | { ok: false; issues: BundleIssue[] };
    if (line.ok) return line.bundle;
    throw new DomainError('bad_request', `invalid competition bundle: ${line.issues.map(formatIssue).join('; ')}`, line.issues);
  }
  await rm(o.into, { recursive: true, force: true });
  const outOfMemory = /heap out of memory|Allocation failed/i.test(err);
  o.logger.write('warn', 'bundle check failed', { code, signal, timedOut, outOfMemory, stderr: err.slice(0, 2000) });
  if (timedOut) throw new DomainError('unprocessable', `bundle archive: checking it took longer than ${Math.round(o.timeoutMs / 1000)} s; make it smaller or split the data`);
  if (outOfMemory) throw new DomainError('unprocessable', `bundle archive: checking it needed more than ${INSPECTOR_HEAP_MB} MB of memory; is competition.yaml or a page unusually large or deeply nested?`);
  throw new DomainError('unprocessable', 'bundle archive: it could not be checked (the checker stopped unexpectedly); nothing was created');
}
