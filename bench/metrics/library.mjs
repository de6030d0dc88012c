// The scorer alone: a process that imports only @holdout/metrics and scores the files, printing
// the same JSON as `holdout score --json` — `holdout score` minus the CLI's other imports.
// Usage: node bench/metrics/library.mjs METRIC ORDER SOLUTION SUBMISSION
import { scoreSubmission } from '@holdout/metrics';

const [metric, rleOrder, solution, submission] = process.argv.slice(2);
const result = await scoreSubmission({ metric, rleOrder, solution, submission });
process.stdout.write(`${JSON.stringify(result)}\n`);
