import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CompetitionDto, CompetitionSummaryDto, CourseDto, DataFileDto, KernelRunPhase, LeaderboardDto, RescoreDto, ShakeupDto, SubmissionDto } from '@holdout/contracts';
import { Presets, SingleBar } from 'cli-progress';
import { parseCommandLine, usageError } from '../args.cjs';
import { Api, errorOf } from '../client/api.js';
import { CliError, EXIT } from '../client/errors.js';
import { bytes, OUTPUT_OPTIONS, printJson, table, verbUsage } from '../client/output.js';
import { filePart, outcome, waitForSubmission } from '../client/submissions.js';

const USAGE = `Usage: holdout competitions <command> [options]

Competitions on the server you signed in to (holdout login).

Commands:
  list                          competitions you can see
  files -c SLUG                 the competition's downloadable files
  download -c SLUG [-f FILE] [-p DIR] [--zip [--unzip]]
                                download its files (resumes an interrupted download), or
                                all of them as one zip
  submit -c SLUG (-f FILE | --model MODEL.onnx) [-m MESSAGE] [--cv SCORE] [--wait]
                                submit a prediction file, or an ONNX model the server runs
                                over the test images; --wait follows it to its score
  submissions -c SLUG           your team's submissions
  leaderboard -c SLUG [--private] [--download]
                                the leaderboard (the private one after the close)
  select -c SLUG ID… [--unselect]
                                choose final submissions for the private leaderboard
Instructors:
  create --course COURSE (--bundle NAME|DIR|FILE.tar.gz) [--slug SLUG]
                                create a competition from a bundled competition, a bundle
                                directory or a bundle archive
  close -c SLUG                 close now and reveal the private leaderboard
  rescore -c SLUG [--solution FILE] [--reason TEXT]
                                rescore every submission (against a new solution)
  shakeup -c SLUG               public-to-private rank changes after the reveal

Run holdout competitions <command> --help for its options. Offline bundle tools moved to
holdout bundles (build, list, validate).
`;

const usage = (synopsis: string, what: string, options = '') => verbUsage('competitions', synopsis, what, options);

const C = { competition: { type: 'string', short: 'c' } } as const;

/** `holdout competitions …` */
export async function run(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  const commands: Record<string, (a: string[]) => Promise<void>> = { list, files, download, submit, submissions, leaderboard, select, create, close, rescore, shakeup };
  if (command === undefined || command === '--help' || command === '-h') process.stdout.write(USAGE);
  else if (command === 'build' || command === 'validate') await (await import('./bundles.js')).run(args); // their old home
  else if (Object.hasOwn(commands, command)) await commands[command]!(rest);
  else usageError(USAGE, `unknown command ${JSON.stringify(command)}`);
}

const slugPath = (slug: string) => `/competitions/${encodeURIComponent(slug)}`;

async function list(args: string[]): Promise<void> {
  const line = parseCommandLine(args, { usage: usage('list', 'Competitions you can see: those of your courses and public ones.'), options: { ...OUTPUT_OPTIONS } });
  if (line === null) return;
  const all = await (await Api.signedIn()).json<CompetitionSummaryDto[]>('GET', '/competitions');
  if (line.values.json) return printJson(all);
  const rows = all.map((c) => ({ ...c, closes: c.closesAt.slice(0, 16).replace('T', ' '), state: c.revealed ? 'revealed' : c.state }));
  process.stdout.write(table(rows, [['slug', 'slug'], ['title', 'title'], ['state', 'state'], ['closes', 'closes (UTC)'], ['metric', 'metric'], ['submissionKinds', 'accepts']]));
}

async function files(args: string[]): Promise<void> {
  const line = parseCommandLine(args, { usage: usage('files -c SLUG', "The competition's downloadable files.", '  -c, --competition <slug>\n'), options: { ...C, ...OUTPUT_OPTIONS }, required: ['competition'] });
  if (line === null) return;
  const list = await (await Api.signedIn()).json<DataFileDto[]>('GET', `${slugPath(line.values.competition as string)}/data`);
  if (line.values.json) return printJson(list);
  process.stdout.write(table(list.map((f) => ({ name: f.name, size: bytes(f.size) })), [['name', 'name'], ['size', 'size']]));
}

async function download(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: usage(
      'download -c SLUG [-f FILE] [-p DIR]',
      "Downloads the competition's files (or one, -f) into DIR (default: ./SLUG), keeping their folders. An\ninterrupted download resumes where it stopped; a file already there with the right size is skipped.\nWith --zip, downloads them all as DIR/SLUG.zip (one request, not resumable); --unzip extracts it into\nDIR and removes it.",
      '  -c, --competition <slug>\n  -f, --file <name>   one file, as `files` lists it (e.g. test/abc.tiff)\n  -p, --path <dir>    where to put them (default: ./<slug>)\n  --zip               all files as one zip archive\n  --unzip             with --zip: extract the archive, then remove it\n',
    ),
    options: { ...C, file: { type: 'string', short: 'f' }, path: { type: 'string', short: 'p' }, zip: { type: 'boolean' }, unzip: { type: 'boolean' }, ...OUTPUT_OPTIONS },
    required: ['competition'],
  });
  if (line === null) return;
  const slug = line.values.competition as string;
  const api = await Api.signedIn();
  if (line.values.unzip && !line.values.zip) throw new CliError('--unzip goes with --zip: files downloaded one by one arrive unpacked', EXIT.usage);
  if (line.values.zip) return downloadZip(api, slug, line.values);
  const all = await api.json<DataFileDto[]>('GET', `${slugPath(slug)}/data`);
  const wanted = line.values.file === undefined ? all : all.filter((f) => f.name === line.values.file);
  if (wanted.length === 0) throw new CliError(`${slug} has no file ${JSON.stringify(line.values.file)} (see holdout competitions files -c ${slug})`, EXIT.refused);
  const dir = resolve((line.values.path as string | undefined) ?? slug);
  const quiet = line.values.quiet === true || line.values.json === true;
  const done: { name: string; path: string; size: number; skipped: boolean; resumedFrom: number }[] = [];
  for (const f of wanted) {
    const target = join(dir, f.name);
    if (!target.startsWith(dir + '/')) throw new CliError(`the server named a file outside the download folder: ${f.name}`, EXIT.unreachable);
    done.push({ name: f.name, path: target, size: f.size, ...(await fetchFile(api, `${slugPath(slug)}/data/${f.name.split('/').map(encodeURIComponent).join('/')}`, target, f, quiet)) });
  }
  if (line.values.json) return printJson(done);
  if (!line.values.quiet) process.stdout.write(`${done.length} file${done.length === 1 ? '' : 's'} in ${relative(process.cwd(), dir) || '.'} (${bytes(done.reduce((n, f) => n + f.size, 0))})\n`);
}

/** `download --zip [--unzip]`: the whole public data as one archive, extracted on request. */
async function downloadZip(api: Api, slug: string, v: Record<string, unknown>): Promise<void> {
  const dir = resolve((v.path as string | undefined) ?? slug);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${slug}.zip`);
  const res = await api.ok(`${slugPath(slug)}/data.zip`, { headers: { accept: 'application/zip' } });
  const quiet = v.quiet === true || v.json === true;
  let received = 0;
  const bar = quiet || !process.stderr.isTTY ? null : new SingleBar({ format: `${slug}.zip {value_formatted}`, formatValue: (n, _o, type) => (type === 'value' ? bytes(n) : String(n)), hideCursor: true }, Presets.shades_classic);
  bar?.start(0, 0);
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream).on('data', (c: Buffer) => bar?.update((received += c.length))), createWriteStream(`${file}.part`));
  } finally {
    bar?.stop();
  }
  await rename(`${file}.part`, file);
  let extracted: string[] | null = null;
  if (v.unzip) {
    const { unzip } = await import('../client/unzip.js');
    extracted = await unzip(file, dir);
    await rm(file);
  }
  if (v.json) return printJson({ zip: v.unzip ? null : file, size: received, extracted: extracted?.map((f) => relative(dir, f)) ?? null });
  if (!v.quiet) process.stdout.write(extracted ? `${extracted.length} files in ${relative(process.cwd(), dir) || '.'}\n` : `${file} (${bytes(received)})\n`);
}

/**
 * Downloads to `<target>.part` and renames it when complete. A `.part` left by an interrupted
 * run is continued with a Range request (If-Range: the file's ETag, so a changed file restarts).
 */
async function fetchFile(api: Api, path: string, target: string, f: DataFileDto, quiet: boolean): Promise<{ skipped: boolean; resumedFrom: number }> {
  const existing = await stat(target).catch(() => null);
  if (existing?.isFile() && existing.size === f.size) return { skipped: true, resumedFrom: 0 };
  await mkdir(dirname(target), { recursive: true });
  const part = `${target}.part`;
  const have = (await stat(part).catch(() => null))?.size ?? 0;
  const headers: Record<string, string> = have > 0 && have < f.size ? { range: `bytes=${have}-`, 'if-range': f.etag } : {};
  const res = await api.fetch(path, { headers });
  if (!res.ok) throw await errorOf(res);
  const resumed = res.status === 206 ? have : 0;
  const bar = quiet || !process.stderr.isTTY ? null : new SingleBar({ format: `${f.name.slice(-40).padEnd(40)} |{bar}| {percentage}% {value_formatted}/{total_formatted}`, formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? bytes(v) : String(v)), hideCursor: true }, Presets.shades_classic);
  bar?.start(f.size, resumed);
  let received = resumed;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream).on('data', (c: Buffer) => bar?.update((received += c.length)));
  try {
    await pipeline(body, createWriteStream(part, { flags: resumed > 0 ? 'a' : 'w' }));
  } finally {
    bar?.stop();
  }
  const size = (await stat(part)).size;
  if (size !== f.size) throw new CliError(`${f.name}: got ${size} of ${f.size} bytes; run the command again to resume`, EXIT.unreachable);
  await rename(part, target);
  return { skipped: false, resumedFrom: resumed };
}

async function submit(args: string[]): Promise<void> {
  const help = usage(
    'submit -c SLUG (-f FILE | --model MODEL.onnx) [-m MESSAGE] [--cv SCORE] [--wait]',
    "Submits a prediction file (submission.csv), or a model: an ONNX file (or a .tar of several, averaged\nas an ensemble) that the server runs over the test images through the competition's pipeline\n(`holdout predict` runs the same pipeline locally). A model is checked at once: a refused one lists\nits problems (exit 2) and is not charged. It is scored on the public part of the hidden test set;\n--wait follows it until it is scored (exit 0) or fails (exit 5, with the reason).",
    '  -c, --competition <slug>\n  -f, --file <path>   the CSV to submit\n  --model <path>      the model to submit (.onnx, or a .tar of .onnx files)\n  -m, --message <text>  a description shown with the submission\n  --cv <score>        your local validation score, shown beside the public one\n  --wait              wait for the score (a model: its progress over the test images)\n',
  );
  const line = parseCommandLine(args, {
    usage: help,
    options: { ...C, file: { type: 'string', short: 'f' }, model: { type: 'string' }, message: { type: 'string', short: 'm' }, cv: { type: 'string' }, wait: { type: 'boolean' }, ...OUTPUT_OPTIONS },
    required: ['competition'],
  });
  if (line === null) return;
  const v = line.values;
  if ((v.file === undefined) === (v.model === undefined)) {
    usageError(help, 'give either -f FILE (a prediction file) or --model MODEL.onnx (a model)');
    return;
  }
  const api = await Api.signedIn();
  const file = await filePart((v.model ?? v.file) as string);
  const form = new FormData();
  form.set('kind', v.model === undefined ? 'file' : 'model');
  if (v.message !== undefined) form.set('description', v.message as string);
  if (v.cv !== undefined) form.set('cvScore', v.cv as string);
  form.set('file', file.blob, file.name);
  const s = await api.upload<SubmissionDto>(`${slugPath(v.competition as string)}/submissions`, form, { quiet: v.quiet === true || v.json === true });
  await report(api, s, { wait: v.wait === true, json: v.json === true, quiet: v.quiet === true });
}

/** Prints a new submission, or with --wait its outcome (exit 5 when it failed). */
export async function report(api: Api, s: SubmissionDto, o: { wait: boolean; json: boolean; quiet: boolean; onLog?: (line: string, run: KernelRunPhase) => void }): Promise<void> {
  if (!o.wait) {
    if (o.json) return printJson(s);
    process.stdout.write(o.quiet ? `${s.id}\n` : `Submitted ${s.id} (${s.status}). Follow it with --wait, or: holdout competitions submissions -c ${s.competitionSlug}\n`);
    return;
  }
  if (!o.quiet && !o.json) process.stderr.write(`Submitted ${s.id}; waiting for its score…\n`);
  const final = await waitForSubmission(api, s.id, { quiet: o.quiet || o.json, onLog: o.onLog });
  const { line, exitCode } = outcome(final);
  if (o.json) printJson(final);
  else process.stdout.write(`${line}\n`);
  process.exitCode = exitCode;
}

async function submissions(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: usage('submissions -c SLUG [--all]', "Your team's submissions, newest first (--all: every team's, for the course staff).", '  -c, --competition <slug>\n  --all               every team\'s (instructors and TAs)\n'),
    options: { ...C, all: { type: 'boolean' }, ...OUTPUT_OPTIONS },
    required: ['competition'],
  });
  if (line === null) return;
  const rows = await (await Api.signedIn()).json<SubmissionDto[]>('GET', `${slugPath(line.values.competition as string)}/submissions${line.values.all ? '?scope=all' : ''}`);
  rows.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  if (line.values.json) return printJson(rows);
  const view = rows.map((s) => ({ ...s, submitted: s.createdAt.slice(0, 16).replace('T', ' '), what: s.fileName ?? s.kind, sel: s.selected ? '*' : '', why: s.error ? `${s.error.class}: ${s.error.message}`.slice(0, 60) : '' }));
  process.stdout.write(table(view, [['id', 'id'], ['submitted', 'submitted (UTC)'], ['kind', 'kind'], ['what', 'file'], ['status', 'status'], ['publicScore', 'public'], ['privateScore', 'private'], ['sel', 'selected'], ['description', 'description'], ['why', 'error']]));
}

async function leaderboard(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: usage(
      'leaderboard -c SLUG [--private] [--download]',
      'The public leaderboard (--private: the private one, after the reveal); --download writes it as\nSLUG-public-leaderboard.csv (or -private-).',
      '  -c, --competition <slug>\n  --private           the private leaderboard (after the reveal)\n  --download          write it as a CSV file instead of printing it\n',
    ),
    options: { ...C, private: { type: 'boolean' }, download: { type: 'boolean' }, show: { type: 'boolean' }, ...OUTPUT_OPTIONS },
    required: ['competition'],
  });
  if (line === null) return;
  const slug = line.values.competition as string;
  const split = line.values.private ? 'private' : 'public';
  const board = await (await Api.signedIn()).json<LeaderboardDto>('GET', `${slugPath(slug)}/leaderboard?split=${split}`);
  if (line.values.download) {
    const file = `${slug}-${split}-leaderboard.csv`;
    const csv = ['rank,team,score,entries,last_submission', ...board.entries.map((e) => [e.rank, JSON.stringify(e.teamName), e.display, e.entries, e.submittedAt].join(','))].join('\n');
    await writeFile(file, `${csv}\n`);
    if (line.values.json) return printJson({ file, entries: board.entries.length });
    if (!line.values.quiet) process.stdout.write(`${board.entries.length} teams in ${file}\n`);
    return;
  }
  if (line.values.json) return printJson(board);
  if (split === 'private' && !board.revealed) process.stdout.write('The private leaderboard is revealed when the competition closes.\n');
  process.stdout.write(table(board.entries.map((e) => ({ ...e, score: e.display, tie: e.tied ? '=' : '' })), [['rank', 'rank'], ['teamName', 'team'], ['score', 'score'], ['tie', ''], ['entries', 'entries'], ['submittedAt', 'last (UTC)']]));
}

async function select(args: string[]): Promise<void> {
  const parsed = parseCommandLine(args, {
    usage: usage('select -c SLUG ID… [--unselect]', 'Chooses submissions for the private leaderboard (or, --unselect, drops them).', '  -c, --competition <slug>\n  --unselect          drop them from the selection\n'),
    options: { ...C, unselect: { type: 'boolean' }, ...OUTPUT_OPTIONS },
    required: ['competition'],
    positionals: ['id'],
    morePositionals: true,
  });
  if (parsed === null) return;
  const api = await Api.signedIn();
  const out: SubmissionDto[] = [];
  for (const id of parsed.positionals) out.push(await api.json<SubmissionDto>('PUT', `/submissions/${encodeURIComponent(id)}/selection`, { selected: !parsed.values.unselect }));
  if (parsed.values.json) return printJson(out);
  if (!parsed.values.quiet) for (const s of out) process.stdout.write(`${s.id}: ${s.selected ? 'selected' : 'not selected'}\n`);
}

async function create(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: usage(
      'create --course COURSE --bundle NAME|DIR|FILE.tar.gz [--slug SLUG]',
      "Instructors: creates a competition in COURSE (its id or its name) from a bundled competition (NAME,\nsee GET /api/bundles), a bundle directory (packed and uploaded) or a bundle archive. The server\nchecks the bundle and builds its data; `holdout competitions files` lists it when it is ready.",
      '  --course <id|name>  the course\n  --bundle <what>     a bundled competition\'s name, a bundle directory or a .tar.gz\n  --slug <slug>       the new competition\'s slug (default: the bundle\'s)\n  --title <text>      its title (default: the bundle\'s)\n',
    ),
    options: { course: { type: 'string' }, bundle: { type: 'string' }, slug: { type: 'string' }, title: { type: 'string' }, ...OUTPUT_OPTIONS },
    required: ['course', 'bundle'],
  });
  if (line === null) return;
  const v = line.values;
  const api = await Api.signedIn();
  const courseId = await courseIdOf(api, v.course as string);
  const bundle = v.bundle as string;
  const info = await stat(bundle).catch(() => null);
  let c: CompetitionDto;
  if (!info) {
    c = await api.json<CompetitionDto>('POST', '/competitions', { bundle, courseId, ...(v.slug ? { slug: v.slug } : {}), ...(v.title ? { title: v.title } : {}) });
  } else {
    const archive = info.isDirectory() ? await packDirectory(bundle) : await readFile(bundle);
    const form = new FormData();
    form.set('courseId', courseId);
    if (v.slug) form.set('slug', v.slug as string);
    if (v.title) form.set('title', v.title as string);
    const quiet = v.quiet === true || v.json === true;
    // The server checks the archive after the upload; its steps arrive on the check's stream.
    const checkId = randomUUID();
    form.set('checkId', checkId);
    form.set('bundle', new Blob([archive]), 'bundle.tar.gz');
    const follow = new AbortController();
    if (!quiet) void followCheck(api, checkId, follow.signal);
    try {
      c = await api.upload<CompetitionDto>('/competitions', form, { quiet });
    } finally {
      follow.abort();
    }
  }
  if (v.json) return printJson(c);
  if (!v.quiet) process.stdout.write(`Created ${c.slug} (${c.title}); its data is being built.\n`);
}

/** Prints a bundle check's steps on stderr until aborted. */
async function followCheck(api: Api, checkId: string, signal: AbortSignal): Promise<void> {
  try {
    let last = '';
    for await (const p of api.events<{ step: string; done: number; total: number | null }>(`/bundles/checks/${checkId}/events`, signal)) {
      const line = p.step === 'unpacking' ? 'checking: unpacking' : p.step === 'config' ? 'checking: competition.yaml and pages' : `checking: image headers ${p.done}/${p.total ?? '?'}`;
      if (line !== last) process.stderr.write(`${(last = line)}\n`);
    }
  } catch {
    // aborted when the upload answered, or the stream failed: the answer says how it went
  }
}

async function courseIdOf(api: Api, course: string): Promise<string> {
  if (/^[0-9a-f-]{36}$/i.test(course)) return course;
  const mine = await api.json<CourseDto[]>('GET', '/courses');
  const found = mine.filter((c) => c.name === course);
  if (found.length === 1) return found[0]!.id;
  throw new CliError(found.length === 0 ? `no course named ${JSON.stringify(course)} among yours (${mine.map((c) => c.name).join(', ') || 'none'})` : `several courses are named ${JSON.stringify(course)}: pass its id`, EXIT.refused);
}

/** A bundle directory as the .tar.gz the API takes (regular files only). */
async function packDirectory(dir: string): Promise<Buffer> {
  const { packBundleArchive } = await import('@holdout/competition');
  const files: Record<string, Buffer> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) files[relative(dir, join(e.parentPath, e.name))] = await readFile(join(e.parentPath, e.name));
  }
  return packBundleArchive(files);
}

async function close(args: string[]): Promise<void> {
  const line = parseCommandLine(args, { usage: usage('close -c SLUG', 'Instructors: closes the competition now and reveals the private leaderboard.', '  -c, --competition <slug>\n'), options: { ...C, ...OUTPUT_OPTIONS }, required: ['competition'] });
  if (line === null) return;
  const c = await (await Api.signedIn()).json<CompetitionDto>('POST', `${slugPath(line.values.competition as string)}/close`);
  if (line.values.json) return printJson(c);
  if (!line.values.quiet) process.stdout.write(`${c.slug} is closed${c.revealed ? ' and its private leaderboard revealed' : ''}.\n`);
}

async function rescore(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: usage('rescore -c SLUG [--solution FILE] [--reason TEXT]', 'Instructors: rescores every submission, against a new solution version when --solution is given.', '  -c, --competition <slug>\n  --solution <path>   a corrected solution.csv\n  --reason <text>     why (kept with the rescore)\n'),
    options: { ...C, solution: { type: 'string' }, reason: { type: 'string' }, ...OUTPUT_OPTIONS },
    required: ['competition'],
  });
  if (line === null) return;
  const v = line.values;
  const api = await Api.signedIn();
  let body: unknown = v.reason === undefined ? {} : { reason: v.reason };
  if (v.solution !== undefined) {
    const form = new FormData();
    if (v.reason !== undefined) form.set('reason', v.reason as string);
    const f = await filePart(v.solution as string);
    form.set('solution', f.blob, f.name);
    body = form;
  }
  const r = await api.json<RescoreDto>('POST', `${slugPath(v.competition as string)}/rescore`, body);
  if (v.json) return printJson(r);
  if (!v.quiet) process.stdout.write(`Rescoring ${r.submissions} submissions against solution version ${r.solutionVersion}.\n`);
}

async function shakeup(args: string[]): Promise<void> {
  const line = parseCommandLine(args, { usage: usage('shakeup -c SLUG', 'How the ranks moved from the public to the private leaderboard (after the reveal).', '  -c, --competition <slug>\n'), options: { ...C, ...OUTPUT_OPTIONS }, required: ['competition'] });
  if (line === null) return;
  const s = await (await Api.signedIn()).json<ShakeupDto>('GET', `${slugPath(line.values.competition as string)}/shakeup`);
  if (line.values.json) return printJson(s);
  process.stdout.write(`Spearman ${s.spearman?.toFixed(3) ?? '—'}, Kendall ${s.kendall?.toFixed(3) ?? '—'}, mean rank change ${s.meanAbsRankChange.toFixed(2)}\n`);
  process.stdout.write(table(s.teams.map((t) => ({ ...t, moved: t.publicRank - t.privateRank })), [['privateRank', 'private'], ['publicRank', 'public'], ['moved', 'moved'], ['teamName', 'team']]));
}
