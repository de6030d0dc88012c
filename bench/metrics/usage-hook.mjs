// Loaded with `node --import` into every benchmarked process: on exit, writes the process's own
// peak RSS and CPU time (process.resourceUsage) to the file named by HOLDOUT_BENCH_USAGE, so the
// harness measures the child itself (no /usr/bin/time on these machines).
import { writeFileSync } from 'node:fs';

const file = process.env.HOLDOUT_BENCH_USAGE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKB: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime }));
  });
}
