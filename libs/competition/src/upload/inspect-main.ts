// Child-process entry of the bundle inspector: `node --max-old-space-size=… inspect-main.js <json>`
// with {archive, into, maxTotalBytes, now}. Prints {"progress":{step,done,total}} lines as it goes
// (at most one every 200 ms, and at each step's start), then one result line:
// {"ok":true,"bundle":…} or {"ok":false,"issues":[…]}. Anything else (a crash, running out of heap, being killed at the
// time limit) is for the parent to report; stderr is for the operator's log only.
import sharp from 'sharp';
import { CompetitionBundleError } from '../errors.js';
import { inspectBundleArchive, type BundleCheckProgress } from './inspect.js';

sharp.concurrency(1);
sharp.cache(false);

const args = JSON.parse(process.argv[2] ?? '{}') as { archive: string; into: string; maxTotalBytes: number; now: string };
try {
  let last = 0;
  let lastStep = '';
  const onProgress = (p: BundleCheckProgress) => {
    const now = Date.now();
    if (p.step === lastStep && now - last < 200 && p.done !== p.total) return;
    [last, lastStep] = [now, p.step];
    process.stdout.write(`${JSON.stringify({ progress: p })}\n`);
  };
  const bundle = await inspectBundleArchive({ ...args, now: new Date(args.now), onProgress });
  process.stdout.write(`${JSON.stringify({ ok: true, bundle })}\n`);
} catch (error) {
  if (!(error instanceof CompetitionBundleError)) throw error;
  process.stdout.write(`${JSON.stringify({ ok: false, issues: error.issues })}\n`);
}
