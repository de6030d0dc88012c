// Child-process entry of the bundle inspector: `node --max-old-space-size=… inspect-main.js <json>`
// with {archive, into, maxTotalBytes, now}. Prints one JSON line: {"ok":true,"bundle":…} or
// {"ok":false,"issues":[…]}. Anything else (a crash, running out of heap, being killed at the
// time limit) is for the parent to report; stderr is for the operator's log only.
import sharp from 'sharp';
import { CompetitionBundleError } from '../errors.js';
import { inspectBundleArchive } from './inspect.js';

sharp.concurrency(1);
sharp.cache(false);

const args = JSON.parse(process.argv[2] ?? '{}') as { archive: string; into: string; maxTotalBytes: number; now: string };
try {
  const bundle = await inspectBundleArchive({ ...args, now: new Date(args.now) });
  process.stdout.write(`${JSON.stringify({ ok: true, bundle })}\n`);
} catch (error) {
  if (!(error instanceof CompetitionBundleError)) throw error;
  process.stdout.write(`${JSON.stringify({ ok: false, issues: error.issues })}\n`);
}
