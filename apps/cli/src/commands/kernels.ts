import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SubmissionDto } from '@holdout/contracts';
import { parseCommandLine, usageError } from '../args.cjs';
import { Api } from '../client/api.js';
import { OUTPUT_OPTIONS, printJson, verbUsage } from '../client/output.js';
import { filePart, outcome, waitForSubmission } from '../client/submissions.js';
import { report } from './competitions.js';

const USAGE = `Usage: holdout kernels <command> [options]

Kernels: a Python script or notebook that the server runs on the hidden test set (no internet)
and whose /kaggle/working/submission.csv it scores.

Commands:
  push -c SLUG FILE [--attach FILE…] [--dataset NAME] [-m MESSAGE] [--wait]
                     submit a .py or .ipynb; attachments appear at /kaggle/input/<dataset>/
  status ID          its status (and the reason when it failed)
  logs ID [--follow] its log, as far as you may see it (the log of a run over hidden data is
                     shown only where the competition allows it); --follow streams it live
  output ID [-p DIR] the submission.csv its run wrote (where you may see its log)
  cancel ID          stop a queued or running kernel (not charged)

Run holdout kernels <command> --help for its options.
`;

const usage = (synopsis: string, what: string, options = '') => verbUsage('kernels', synopsis, what, options);

/** `holdout kernels …` */
export async function run(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  const commands: Record<string, (a: string[]) => Promise<void>> = { push, status, logs, output, cancel };
  if (command === undefined || command === '--help' || command === '-h') process.stdout.write(USAGE);
  else if (Object.hasOwn(commands, command)) await commands[command]!(rest);
  else usageError(USAGE, `unknown command ${JSON.stringify(command)}`);
}

async function push(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: usage(
      'push -c SLUG FILE [--attach FILE…] [--dataset NAME] [-m MESSAGE] [--wait]',
      'Submits a kernel (.py or .ipynb). --wait follows it through the queue and the run to its score\n(exit 0) or failure (exit 5), printing its log as it runs where you may see it.',
      '  -c, --competition <slug>\n  --attach <file>     a file for /kaggle/input/<dataset>/ (repeat for more)\n  --dataset <name>    the attached dataset\'s name (default: attached)\n  -m, --message <text>  a description shown with the submission\n  --wait              follow it to its score\n',
    ),
    options: { competition: { type: 'string', short: 'c' }, attach: { type: 'string', multiple: true }, dataset: { type: 'string' }, message: { type: 'string', short: 'm' }, wait: { type: 'boolean' }, ...OUTPUT_OPTIONS },
    required: ['competition'],
    positionals: ['file'],
  });
  if (line === null) return;
  const v = line.values;
  const api = await Api.signedIn();
  const form = new FormData();
  form.set('kind', 'kernel');
  if (v.message !== undefined) form.set('description', v.message as string);
  if (v.dataset !== undefined) form.set('dataset', v.dataset as string);
  const entry = await filePart(line.positionals[0]!);
  form.set('file', entry.blob, entry.name);
  for (const path of (v.attach as string[] | undefined) ?? []) {
    const a = await filePart(path);
    form.append('attachments', a.blob, a.name);
  }
  const quiet = v.quiet === true || v.json === true;
  const s = await api.upload<SubmissionDto>(`/competitions/${encodeURIComponent(v.competition as string)}/submissions`, form, { quiet });
  await report(api, s, { wait: v.wait === true, json: v.json === true, quiet: v.quiet === true, onLog: quiet ? undefined : (l) => process.stderr.write(`  | ${l}\n`) });
}

async function status(args: string[]): Promise<void> {
  const line = parseCommandLine(args, { usage: usage('status ID', "A kernel's status, its scores, and the reason when it failed."), options: { ...OUTPUT_OPTIONS }, positionals: ['id'] });
  if (line === null) return;
  const s = await (await Api.signedIn()).json<SubmissionDto>('GET', `/submissions/${encodeURIComponent(line.positionals[0]!)}`);
  if (line.values.json) return printJson(s);
  const done = ['scored', 'failed', 'cancelled'].includes(s.status);
  process.stdout.write(`${done ? outcome(s).line : `${s.id}: ${s.status}`}\n`);
}

async function logs(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: usage('logs ID [--follow]', "A kernel's log as far as you may see it; --follow streams new lines until it finishes.", '  --follow            keep printing new lines until the kernel finishes\n'),
    options: { follow: { type: 'boolean' }, ...OUTPUT_OPTIONS },
    positionals: ['id'],
  });
  if (line === null) return;
  const id = encodeURIComponent(line.positionals[0]!);
  const api = await Api.signedIn();
  if (!line.values.follow) {
    process.stdout.write(await (await api.ok(`/submissions/${id}/log`, { headers: { accept: 'text/plain' } })).text());
    return;
  }
  const final = await waitForSubmission(api, line.positionals[0]!, { quiet: true, onLog: (l) => process.stdout.write(`${l}\n`) });
  const { line: summary, exitCode } = outcome(final);
  process.stderr.write(`${summary}\n`);
  process.exitCode = exitCode;
}

async function output(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: usage(
      'output ID [-p DIR]',
      "Downloads the submission.csv the kernel's run wrote into DIR (default: .). Its output is shown to\nwhoever may read its log: the course staff, and participants where the competition shows the logs\nof runs over hidden data.",
      '  -p, --path <dir>    where to write submission.csv (default: .)\n',
    ),
    options: { path: { type: 'string', short: 'p' }, ...OUTPUT_OPTIONS },
    positionals: ['id'],
  });
  if (line === null) return;
  const res = await (await Api.signedIn()).ok(`/submissions/${encodeURIComponent(line.positionals[0]!)}/output`, { headers: { accept: 'text/csv' } });
  const dir = resolve((line.values.path as string | undefined) ?? '.');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'submission.csv');
  await writeFile(file, Buffer.from(await res.arrayBuffer()));
  if (line.values.json) return printJson({ file });
  if (!line.values.quiet) process.stdout.write(`${file}\n`);
}

async function cancel(args: string[]): Promise<void> {
  const line = parseCommandLine(args, { usage: usage('cancel ID', 'Stops a queued or running kernel; a cancelled kernel is not charged.'), options: { ...OUTPUT_OPTIONS }, positionals: ['id'] });
  if (line === null) return;
  const s = await (await Api.signedIn()).json<SubmissionDto>('POST', `/submissions/${encodeURIComponent(line.positionals[0]!)}/cancel`);
  if (line.values.json) return printJson(s);
  if (!line.values.quiet) process.stdout.write(`${s.id}: ${s.status}\n`);
}
