import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { KernelRunDto, KernelRunPhase, SubmissionDto } from '@holdout/contracts';
import { CliError, EXIT } from '../client/errors.js';
import { parseCommandLine, usageError } from '../args.cjs';
import { Api } from '../client/api.js';
import { bytes, OUTPUT_OPTIONS, printJson, verbUsage } from '../client/output.js';
import { duration, filePart, outcome, TERMINAL, waitForSubmission } from '../client/submissions.js';
import { report } from './competitions.js';

const USAGE = `Usage: holdout kernels <command> [options]

Kernels: a Python script or notebook that the server runs (no internet) first over the public
data (you see its log and files; a failure there is not charged), then, where the test images
are hidden, over the hidden test set; the /kaggle/working/submission.csv of that run is scored.

Commands:
  push -c SLUG FILE [--attach FILE…] [--dataset NAME] [-m MESSAGE] [--run-only] [--wait]
                     submit a .py or .ipynb; attachments appear at /kaggle/input/<dataset>/;
                     --run-only: the public run only (its log and files; not scored or charged)
  status ID          its status (and the reason when it failed)
  runs ID            its runs (public, hidden): outcome, time, and the files you may download
  logs ID [--run public|hidden] [--follow]
                     a run's log (default: the latest), as far as you may see it (a run over
                     hidden data is shown only where the competition allows it); --follow: the
                     log so far, then new lines until the kernel finishes
  output ID [--run public|hidden] [--name FILE] [-p DIR]
                     a file a run wrote (default: submission.csv), where you may see its log
  cancel ID          stop a queued or running kernel (not charged)

Run holdout kernels <command> --help for its options.
`;

const usage = (synopsis: string, what: string, options = '') => verbUsage('kernels', synopsis, what, options);

/** `holdout kernels …` */
export async function run(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  const commands: Record<string, (a: string[]) => Promise<void>> = { push, status, runs, logs, output, cancel };
  if (command === undefined || command === '--help' || command === '-h') process.stdout.write(USAGE);
  else if (Object.hasOwn(commands, command)) await commands[command]!(rest);
  else usageError(USAGE, `unknown command ${JSON.stringify(command)}`);
}

async function push(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: usage(
      'push -c SLUG FILE [--attach FILE…] [--dataset NAME] [-m MESSAGE] [--run-only] [--wait]',
      'Submits a kernel (.py or .ipynb). --wait follows it through the queue and its runs to its score\n(exit 0) or failure (exit 5), printing the logs you may see as it runs.',
      '  -c, --competition <slug>\n  --attach <file>     a file for /kaggle/input/<dataset>/ (repeat for more)\n  --dataset <name>    the attached dataset\'s name (default: attached)\n  -m, --message <text>  a description shown with the submission\n  --run-only          run it over the public data only, without submitting (not scored or charged)\n  --wait              follow it to its score\n',
    ),
    options: {
      competition: { type: 'string', short: 'c' },
      attach: { type: 'string', multiple: true },
      dataset: { type: 'string' },
      message: { type: 'string', short: 'm' },
      'run-only': { type: 'boolean' },
      wait: { type: 'boolean' },
      ...OUTPUT_OPTIONS,
    },
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
  if (v['run-only'] === true) form.set('runOnly', 'true');
  const entry = await filePart(line.positionals[0]!);
  form.set('file', entry.blob, entry.name);
  for (const path of (v.attach as string[] | undefined) ?? []) {
    const a = await filePart(path);
    form.append('attachments', a.blob, a.name);
  }
  const quiet = v.quiet === true || v.json === true;
  const s = await api.upload<SubmissionDto>(`/competitions/${encodeURIComponent(v.competition as string)}/submissions`, form, { quiet });
  await report(api, s, { wait: v.wait === true, json: v.json === true, quiet: v.quiet === true, onLog: quiet ? undefined : (l, run) => process.stderr.write(`  ${run === 'public' ? 'public' : 'hidden'} | ${l}\n`) });
}

async function status(args: string[]): Promise<void> {
  const line = parseCommandLine(args, { usage: usage('status ID', "A kernel's status, its scores, and the reason when it failed."), options: { ...OUTPUT_OPTIONS }, positionals: ['id'] });
  if (line === null) return;
  const s = await (await Api.signedIn()).json<SubmissionDto>('GET', `/submissions/${encodeURIComponent(line.positionals[0]!)}`);
  if (line.values.json) return printJson(s);
  const done = TERMINAL.has(s.status);
  process.stdout.write(`${done ? outcome(s).line : `${s.id}: ${s.status}`}\n`);
}

async function runs(args: string[]): Promise<void> {
  const line = parseCommandLine(args, { usage: usage('runs ID', "A kernel's runs: the public run, then the run over the hidden test data, with their files."), options: { ...OUTPUT_OPTIONS }, positionals: ['id'] });
  if (line === null) return;
  const list = await (await Api.signedIn()).json<KernelRunDto[]>('GET', `/submissions/${encodeURIComponent(line.positionals[0]!)}/runs`);
  if (line.values.json) return printJson(list);
  if (line.values.quiet) return;
  for (const r of list) {
    const took = r.durationMs === null ? '' : `, ${duration(r.durationMs / 1000)}`;
    process.stdout.write(`attempt ${r.attempt} ${r.phase} run: ${r.outcome ?? 'running'}${took}${r.logVisible ? '' : ' (log and files not shown to participants)'}\n`);
    for (const f of r.files) process.stdout.write(`  ${f.name}  ${bytes(f.size)}\n`);
  }
}

async function logs(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: usage(
      'logs ID [--run public|hidden] [--follow]',
      "A kernel run's log (default: the latest) as far as you may see it; --follow prints what every run\nyou may read has printed so far, then its new lines until the kernel finishes.",
      '  --run <phase>       public (over the public data) or hidden (over the hidden test data)\n  --follow            print the log so far, then new lines until the kernel finishes\n',
    ),
    options: { run: { type: 'string' }, follow: { type: 'boolean' }, ...OUTPUT_OPTIONS },
    positionals: ['id'],
  });
  if (line === null) return;
  const id = encodeURIComponent(line.positionals[0]!);
  const run = runOption(line.values.run);
  const api = await Api.signedIn();
  if (!line.values.follow) {
    process.stdout.write(await (await api.ok(`/submissions/${id}/log${run ? `?run=${run}` : ''}`, { headers: { accept: 'text/plain' } })).text());
    return;
  }
  const final = await waitForSubmission(api, line.positionals[0]!, { quiet: true, onLog: (l, from) => (run === undefined || run === from ? process.stdout.write(`${l}\n`) : undefined) });
  const { line: summary, exitCode } = outcome(final);
  process.stderr.write(`${summary}\n`);
  process.exitCode = exitCode;
}

async function output(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: usage(
      'output ID [--run public|hidden] [--name FILE] [-p DIR]',
      "Downloads a file a kernel's run wrote (default: submission.csv of the latest run) into DIR\n(default: .). A run's files are shown to whoever may read its log: your team for its public runs,\nthe course staff, and participants where the competition shows the logs of runs over hidden data.",
      '  --run <phase>       public or hidden (default: the latest run)\n  --name <file>       a file the run left in /kaggle/working, as `holdout kernels runs` lists\n  -p, --path <dir>    where to write it (default: .)\n',
    ),
    options: { run: { type: 'string' }, name: { type: 'string' }, path: { type: 'string', short: 'p' }, ...OUTPUT_OPTIONS },
    positionals: ['id'],
  });
  if (line === null) return;
  const run = runOption(line.values.run);
  const name = (line.values.name as string | undefined) ?? 'submission.csv';
  const query = new URLSearchParams({ ...(run ? { run } : {}), name });
  const res = await (await Api.signedIn()).ok(`/submissions/${encodeURIComponent(line.positionals[0]!)}/output?${query}`);
  const dir = resolve((line.values.path as string | undefined) ?? '.');
  await mkdir(dir, { recursive: true });
  const file = join(dir, basename(name));
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

/** `--run`: which of a kernel's runs (public or hidden); undefined: the latest. */
function runOption(v: unknown): KernelRunPhase | undefined {
  if (v === undefined) return undefined;
  if (v === 'public' || v === 'hidden') return v;
  throw new CliError(`--run must be public or hidden, not ${JSON.stringify(v)}`, EXIT.usage);
}
