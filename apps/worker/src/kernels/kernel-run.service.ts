import { copyFile, link, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import {
  ArtifactFiles,
  Competition,
  EventPublisher,
  JsonLogger,
  HostCompetitionData,
  KernelSubmission,
  Notifier,
  Submission,
  SubmissionLifecycle,
  kernelChannels,
  kernelRunKey,
  type AppConfig,
  type KernelLogEvent,
  type OutputFolder,
} from '@holdout/db';
import { HIDDEN_RUN_ENV, kernelAttemptsExhausted, kernelJobResumesAt, MAX_KERNEL_ATTEMPTS, kernelSettingsOf, logAccess, type KernelRunStep } from '@holdout/rules';
import { fitToHost } from '@holdout/competition';
import { QUEUES, type KernelJobData, type KernelRunPhase } from '@holdout/contracts';
import { DevicePool, InvalidKernelSpecError, KernelImageNotFoundError, type KernelRunSpec, type KernelRunner, type RunResult } from '@holdout/sandbox';
import { UnrecoverableError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource, type EntityManager } from 'typeorm';
import { ScorerPool, scoreResultOf, SubmissionRejected } from '../scoring/scorer-pool.js';
import { currentSolution, scoreStored } from '../scoring/current-solution.js';
import { CONFIG, REDIS } from '../tokens.js';
import { thisHost } from './kernel-host.service.js';
import { competitionView, hasHiddenRun, publicRunCheck, type ViewSource } from './data-view.js';
import { kernelOutputOf, kernelRejectedMessage } from './kernel-output.js';
import { LogLines } from './log-publisher.js';
import { DEVICE_POOL, KERNEL_RUNNER } from './tokens.js';

export type KernelJobOutcome = 'scored' | 'failed' | 'cancelled' | 'complete' | 'skipped';

/** A run's row: its id, attempt number, phase and artifact-store directory (`kernelRunKey`). */
interface RunRow {
  id: string;
  attempt: number;
  phase: KernelRunPhase;
  key: string;
}

interface RunContext {
  job: Job<KernelJobData>;
  queue: string;
  s: Submission;
  k: KernelSubmission;
  c: Competition;
  /** Whether a run over the hidden test data follows a public run that wrote a valid file. */
  hiddenRun: boolean;
}

/** A run's collected output: the run's row and the key of its submission.csv in the store. */
interface Collected {
  runRowId: string;
  csvKey: string;
}

/** Where a kernel job stands; each step returns the next. */
type Step =
  | { at: 'claim' }
  | { at: 'run'; row: RunRow }
  | { at: 'collect'; row: RunRow; result: RunResult; output: OutputFolder }
  | { at: 'check'; row: RunRow }
  | { at: 'score'; collected?: Collected }
  | { at: 'skip' }
  | { at: 'done'; outcome: KernelJobOutcome };

/** Kernel output limits that are the platform's, not the competition's. */
const LOG_BYTES = 4 * 1024 * 1024;
const HEARTBEAT_MS = 5000;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The run id of a run (sandbox label and container name): `<submission id>.<attempt>`, `p` after it for the public run. */
export const runIdOf = (submissionId: string, attempt: number, phase: KernelRunPhase) => `${submissionId}.${attempt}${phase === 'public' ? 'p' : ''}`;
export const parseRunId = (runId: string): { submissionId: string; attempt: number; phase: KernelRunPhase } | null => {
  const m = /^([0-9a-f-]{36})\.(\d+)(p?)$/.exec(runId);
  return m ? { submissionId: m[1]!, attempt: Number(m[2]), phase: m[3] ? 'public' : 'hidden' } : null;
};

/**
 * Runs one kernel submission, as Kaggle's "save, then submit": claim → the public run (over the
 * public data; its log and files go to the team) → collect → [check its file → the run over the
 * hidden test data → collect] → score. The bracket is skipped where the test images are public
 * (the public run's output is the submission); a run without submitting stops after the check
 * (`complete`). Each step is recorded on the run's `kernel_runs` row (`step`, one row per attempt
 * and phase), so a restarted worker resumes a run that was scoring, and retries (new attempt,
 * from the public run) one whose sandbox died with its worker.
 *
 * Status: queued → running (public, then hidden) → scoring → scored | failed (timeout, oom,
 * exception, no-submission-file, scoring-error: the participant's; infrastructure: ours) |
 * cancelled | complete. Failures in the public run, cancelled and infrastructure-failed runs are
 * not charged to the daily quota (libs/rules charging).
 */
@Injectable()
export class KernelRunService {
  /** Abort handles of the runs in this process, by submission id (the cancel path). */
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly ds: DataSource,
    private readonly files: ArtifactFiles,
    private readonly data: HostCompetitionData,
    private readonly pool: ScorerPool,
    private readonly publisher: EventPublisher,
    private readonly lifecycle: SubmissionLifecycle,
    private readonly notifier: Notifier,
    private readonly logger: JsonLogger,
    @Inject(KERNEL_RUNNER) private readonly runner: KernelRunner,
    @Inject(DEVICE_POOL) private readonly devices: DevicePool,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  /** Submission ids with a run in progress in this process. */
  activeSubmissions(): string[] {
    return [...this.running.keys()];
  }

  /** Runs aborted because this worker is shutting down: they go back to the queue, not to `cancelled`. */
  private readonly stopping = new Set<string>();

  /** Kills the run because the worker stops; the submission is queued again (not charged). */
  cancelForShutdown(submissionId: string): void {
    this.stopping.add(submissionId);
    this.running.get(submissionId)?.abort(new Error('worker shutting down'));
  }

  /** Aborts the run of a submission if this process drives it (its outcome becomes `cancelled`). */
  cancel(submissionId: string): boolean {
    const c = this.running.get(submissionId);
    c?.abort(new Error('cancelled'));
    return c !== undefined;
  }

  /**
   * Drives one kernel job through its steps (BullMQ's step-job pattern). The step reached is kept
   * on the run's row (`kernel_runs.step`) and the submission's status, the truth a worker reads
   * when BullMQ hands it a job whose worker died: `kernelJobResumesAt` (libs/rules) says where it
   * picks up — a run in the sandbox cannot be resumed (the container died with its worker) and
   * starts again as a new attempt, collected output is scored again.
   */
  async process(job: Job<KernelJobData>, queue: string): Promise<KernelJobOutcome> {
    const { submissionId } = job.data;
    const s = await this.ds.getRepository(Submission).findOne({ where: { id: submissionId } });
    const k = await this.ds.getRepository(KernelSubmission).findOne({ where: { submissionId } });
    if (!s || !k || s.kind !== 'kernel' || !s.artifactPath) return 'skipped';
    const c = await this.ds.getRepository(Competition).findOneOrFail({ where: { id: s.competitionId } });
    // (Without built data the run step fails as ours, with its message.)
    const hiddenRun = !s.runOnly && (await this.source(c).then(hasHiddenRun, () => false));
    const run: RunContext = { job, queue, s, k, c, hiddenRun };
    let step: Step = { at: kernelJobResumesAt(s.status) };
    for (;;) {
      switch (step.at) {
        case 'claim':
          step = await this.claim(run);
          break;
        case 'run':
          step = await this.run(run, step.row);
          break;
        case 'collect':
          step = await this.collect(run, step.row, step.result, step.output);
          break;
        case 'check':
          step = await this.check(run, step.row);
          break;
        case 'score':
          step = await this.score(run, step.collected ?? (await this.collectedOutput(run)));
          break;
        case 'skip': {
          // Ended already (by this job's previous attempt, whose worker may have stopped between
          // recording the end and telling the team): told now if it was not.
          const [now] = (await this.ds.query('SELECT status FROM submissions WHERE id = $1', [s.id])) as { status: string }[];
          if (now?.status === 'scored' || now?.status === 'failed' || now?.status === 'complete') await this.notify(run, now.status);
          return 'skipped';
        }
        case 'done':
          await this.notify(run, step.outcome);
          return step.outcome;
      }
    }
  }

  /** claim: takes the submission (queued, or `running` under a worker that died), opens a new attempt's run row. */
  private async claim({ s, c, queue }: RunContext): Promise<Step> {
    const attempt = await this.lifecycle.claimForRun(s.id);
    if (attempt === null) return { at: 'skip' };
    await this.ds.query(`UPDATE kernel_runs SET outcome = 'lost', message = 'the worker running it stopped', finished_at = now(), updated_at = now() WHERE submission_id = $1 AND outcome IS NULL`, [s.id]);
    if (kernelAttemptsExhausted({ attempts: attempt, retries: s.retries })) {
      await this.failInfrastructure(s, c, `the kernel could not be run after ${MAX_KERNEL_ATTEMPTS} attempts on our side; it is not charged. Please submit it again.`);
      return { at: 'done', outcome: 'failed' };
    }
    await this.publisher.submissionChanged(s.id, c.id);
    return { at: 'run', row: await this.openRun(s.id, attempt, 'public', queue) };
  }

  /** The run's row (a redelivered job finds the one it opened). */
  private async openRun(submissionId: string, attempt: number, phase: KernelRunPhase, queue: string): Promise<RunRow> {
    const key = kernelRunKey(submissionId, attempt, phase);
    // (An INSERT returns its rows; an UPDATE returns [rows, count].)
    const [row] = (await this.ds.query(
      `INSERT INTO kernel_runs (submission_id, attempt, phase, step, host, queue, log_path, started_at) VALUES ($1, $2, $3, 'created', $4, $5, $6, now())
       ON CONFLICT (submission_id, attempt, phase) DO UPDATE SET step = 'created', host = $4, updated_at = now() RETURNING id`,
      [submissionId, attempt, phase, this.config.kernels.owner, queue, `${key}/kernel.log`],
    )) as { id: string }[];
    return { id: row!.id, attempt, phase, key };
  }

  /** The competition's data on this host (built here when this worker does not share the provisioning host's data directory). */
  private async source(c: Competition): Promise<ViewSource> {
    const { dataDir, publicDir } = await this.data.data(c);
    return {
      viewsRoot: join(this.config.dataDir, 'kernel-views'),
      competitionId: c.id,
      dataDir,
      publicDir,
      testImagesArePublic: c.submissionKinds.includes('file'),
    };
  }

  /** run: the data view and the sandbox (step `created`, then `running` once it holds its device). */
  private async run(ctx: RunContext, row: RunRow): Promise<Step> {
    const { job, queue, s, k, c } = ctx;
    const abort = new AbortController();
    this.running.set(s.id, abort);
    const heartbeat = setInterval(() => void this.heartbeat(row.id, s.id, abort), HEARTBEAT_MS);
    const scratch = join(this.config.dataDir, 'kernel-scratch', runIdOf(s.id, row.attempt, row.phase));
    let result: RunResult;
    let output: OutputFolder | null = null;
    try {
      output = await this.files.outputFolder(`${row.key}/`);
      const spec = await this.buildSpec({ s, k, c, row, scratch, outputDir: output.path });
      const lines = new LogLines((batch, at) => this.publishLog(s.id, row, batch, at));
      const exec = (gpus: string[]) => {
        void this.setStep(row.id, 'running', { gpu: gpus[0] ?? null }).catch(() => undefined);
        return this.runner.run({ ...spec, gpus }, { onLog: (chunk) => lines.write(chunk), signal: abort.signal });
      };
      try {
        result = queue === QUEUES.kernelsGpu ? await this.devices.withDevice((gpu) => exec([gpu]), abort.signal) : await exec([]);
      } finally {
        await lines.flush(true);
      }
    } catch (err) {
      await output?.discard();
      if (this.stopping.delete(s.id)) return await this.requeueForShutdown(s, c, row.id);
      if (abort.signal.aborted) {
        // Cancelled while waiting for a device.
        await this.finishRun(row.id, { outcome: 'cancelled', message: 'cancelled before it started' });
        await this.markCancelled(s, c);
        return { at: 'done', outcome: 'cancelled' };
      }
      return await this.infrastructureFault(job, s, c, row.id, err as Error);
    } finally {
      clearInterval(heartbeat);
      this.running.delete(s.id);
      await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    }
    if (this.stopping.delete(s.id) && result.outcome === 'cancelled') {
      await output.discard();
      return this.requeueForShutdown(s, c, row.id);
    }
    return { at: 'collect', row, result, output };
  }

  private async requeueForShutdown(s: Submission, c: Competition, runRowId: string): Promise<never> {
    await this.ds.query(`UPDATE kernel_runs SET outcome = 'lost', message = 'the worker shut down during the run', step = 'done', finished_at = now(), updated_at = now() WHERE id = $1`, [runRowId]);
    await this.lifecycle.requeue(s.id, ['running']);
    await this.publisher.submissionChanged(s.id, c.id);
    throw new Error('the worker shut down during the run; it runs again');
  }

  /** The sandbox spec: competition data view, the entry, the attached dataset, limits from the competition. */
  private async buildSpec(o: { s: Submission; k: KernelSubmission; c: Competition; row: RunRow; scratch: string; outputDir: string }): Promise<Omit<KernelRunSpec, 'gpus'>> {
    const { s, k, c, row, scratch, outputDir } = o;
    const settings = kernelSettingsOf(c.config);
    const dataDir = await competitionView({ ...(await this.source(c)), phase: row.phase });
    await rm(scratch, { recursive: true, force: true });
    await mkdir(join(scratch, 'entry'), { recursive: true, mode: 0o755 });
    const ext = k.entryKind === 'py' ? '.py' : '.ipynb';
    const named = (s.fileName ?? '').replace(/^[0-9a-f-]{36}-/, '');
    const entryName = NAME_RE.test(named) && named.toLowerCase().endsWith(ext) && named !== 'holdout_run_notebook.py' ? named : `kernel${ext}`;
    const entryPath = join(scratch, 'entry', entryName);
    await this.copyOut(s.artifactPath!, entryPath);
    const inputs: KernelRunSpec['inputs'] = [];
    if (k.datasetName && k.attachments.length > 0) {
      const dir = join(scratch, 'dataset');
      await mkdir(dir, { recursive: true, mode: 0o755 });
      for (const a of k.attachments) await this.copyOut(a.key, join(dir, a.name));
      inputs.push({ hostPath: dir, name: k.datasetName });
    }
    // At most what this machine has: the engine would accept more and fail unpredictably.
    const fit = fitToHost(settings, thisHost(this.config));
    if (fit.clamped.length > 0) this.logger.write('info', 'kernel limits clamped to this worker', { submissionId: s.id, competition: c.slug, clamped: fit.clamped });
    return {
      runId: runIdOf(s.id, row.attempt, row.phase),
      image: this.config.kernels.image ?? settings.image,
      entry: { path: entryPath, kind: k.entryKind },
      competition: { slug: c.slug, dataDir },
      inputs,
      limits: {
        wallSeconds: settings.timeLimitSeconds,
        memoryBytes: fit.memoryBytes,
        cpus: fit.cpus,
        pids: settings.processes,
        outputBytes: settings.outputLimitBytes,
        logBytes: LOG_BYTES,
      },
      outputDir,
      ...(row.phase === 'hidden' ? { env: { ...HIDDEN_RUN_ENV } } : {}),
    };
  }

  /**
   * collect: keeps the log and submission.csv (and a public run's other files in /kaggle/working,
   * which its team may download), records what the sandbox reported (`collected`), then fails,
   * cancels, checks a public run's file or goes on to score.
   */
  private async collect(ctx: RunContext, row: RunRow, r: RunResult, output: OutputFolder): Promise<Step> {
    const { s, c } = ctx;
    const csvKey = `${row.key}/submission.csv`;
    try {
      if (r.submissionPath) await (row.phase === 'public' ? copyFile : rename)(r.submissionPath, join(output.path, 'submission.csv'));
      if (row.phase === 'hidden') await rm(join(output.path, 'working'), { recursive: true, force: true });
      // The log and files into the store (a remote one; the local store's folder is the output
      // folder); commit removes the local copy.
      await output.commit();
    } catch (err) {
      await output.discard();
      throw err;
    }
    await this.ds.query(
      `UPDATE kernel_runs SET step = 'collected', outcome = $2, message = $3, exit_code = $4, duration_ms = $5, peak_memory_bytes = $6, image_digest = $7,
              log_bytes = $8, log_truncated = $9, finished_at = now(), updated_at = now() WHERE id = $1`,
      [row.id, r.outcome, r.message, r.exitCode, r.durationMs, r.peakMemoryBytes, r.imageDigest, r.logBytesSeen, r.logTruncated],
    );
    if (r.outcome === 'cancelled') {
      await this.markCancelled(s, c);
      return { at: 'done', outcome: 'cancelled' };
    }
    if (r.outcome !== 'succeeded') {
      const showLog = logAccess({ staff: false, showHiddenDataLogs: kernelSettingsOf(c.config).showHiddenDataLogs, phase: row.phase }) === 'full';
      const tail = r.outcome === 'exception' && showLog && r.logTail ? `\n\nLast lines of the log:\n${lastLines(r.logTail, 20)}` : '';
      const where = row.phase === 'public' ? ' In the public run (over the public data only); not charged to your daily submissions.' : '';
      await this.lifecycle.failRun(s.id, r.outcome, `${r.message ?? r.outcome}${where}${tail}`);
      await this.setStep(row.id, 'done');
      await this.publisher.submissionChanged(s.id, c.id);
      return { at: 'done', outcome: 'failed' };
    }
    if (row.phase === 'public' && (ctx.hiddenRun || s.runOnly)) return { at: 'check', row };
    if (!(await this.lifecycle.collectOutput(s.id))) return { at: 'done', outcome: 'cancelled' }; // cancelled while it finished
    await this.setStep(row.id, 'scoring');
    await this.publisher.submissionChanged(s.id, c.id);
    return { at: 'score', collected: { runRowId: row.id, csvKey } };
  }

  /**
   * check: a public run's submission.csv against the public sample's images (the scorer's checks,
   * no truth: `publicRunCheck`). Valid: the run over the hidden test data starts, or a run without
   * submitting is `complete`. Invalid: failed as `scoring-error`, naming the problem, not charged.
   */
  private async check(ctx: RunContext, row: RunRow): Promise<Step> {
    const { s, c } = ctx;
    try {
      const source = await this.source(c);
      const against = await this.data.withSolution(c, await currentSolution(this.ds, c), (solutionPath) => publicRunCheck({ ...source, solutionPath }));
      await this.files.withFile(`${row.key}/submission.csv`, (submissionPath) => this.pool.score({ metric: c.metric, rleOrder: c.rleOrder, solutionPath: against, submissionPath }));
    } catch (err) {
      // Ours (no solution, a sample the solution does not size…): retried, then failed as ours.
      if (!(err instanceof SubmissionRejected)) return this.infrastructureFault(ctx.job, s, c, row.id, err as Error);
      const message = `${kernelRejectedMessage(err.message)} (checked after the public run, over the public test images; not charged)`;
      await this.lifecycle.refuseOutput(s.id, { code: err.code, message, row: err.row });
      await this.setStep(row.id, 'done');
      await this.publisher.submissionChanged(s.id, c.id);
      return { at: 'done', outcome: 'failed' };
    }
    await this.setStep(row.id, 'done');
    if (s.runOnly) {
      const done = await this.lifecycle.completeRun(s.id);
      await this.publisher.submissionChanged(s.id, c.id);
      return { at: 'done', outcome: done ? 'complete' : 'cancelled' };
    }
    if (!(await this.lifecycle.startHiddenRun(s.id))) return { at: 'done', outcome: 'cancelled' }; // cancelled meanwhile
    await this.publisher.submissionChanged(s.id, c.id);
    return { at: 'run', row: await this.openRun(s.id, row.attempt, 'hidden', ctx.queue) };
  }

  /** Resuming at `score` after a restart: the output collected by the latest run, or (missing) a new attempt. */
  private async collectedOutput({ s }: RunContext): Promise<Collected> {
    const run = await kernelOutputOf(this.ds, s.id);
    if (!run || !(await this.files.store.exists(run.key))) {
      await this.lifecycle.requeue(s.id, ['scoring']);
      throw new Error('the collected output is missing; the kernel runs again');
    }
    return { runRowId: run.runRowId, csvKey: run.key };
  }

  /** score: the kernel's submission.csv through the platform's scorer (the same threads as file submissions); the run is then `done`. */
  private async score({ s, c }: RunContext, { runRowId, csvKey }: Collected): Promise<Step> {
    const version = await currentSolution(this.ds, c);
    try {
      const r = await scoreStored({ files: this.files, data: this.data, pool: this.pool }, c, version, csvKey);
      await this.ds.transaction(async (m) => {
        await this.lifecycle.recordScore(s.id, scoreResultOf(r, version.id), 'initial', m);
        await this.setStep(runRowId, 'done', {}, m);
      });
      await this.publisher.submissionChanged(s.id, c.id);
      await this.publisher.competitionChanged(c.id);
      return { at: 'done', outcome: 'scored' };
    } catch (err) {
      if (!(err instanceof SubmissionRejected)) throw err;
      await this.ds.transaction(async (m) => {
        const rejection = { solutionVersionId: version.id, errorClass: 'scoring-error' as const, code: err.code, message: kernelRejectedMessage(err.message), row: err.row };
        await this.lifecycle.reject(s.id, rejection, 'initial', m);
        await this.setStep(runRowId, 'done', {}, m);
      });
      await this.publisher.submissionChanged(s.id, c.id);
      return { at: 'done', outcome: 'failed' };
    }
  }

  /** Tells the team that its kernel ended (scored, failed with its class, or ran without submitting); never more than the team may see. */
  private async notify({ s, c }: RunContext, outcome: KernelJobOutcome): Promise<void> {
    if (outcome !== 'scored' && outcome !== 'failed' && outcome !== 'complete') return;
    const [now] = (await this.ds.query('SELECT public_score, error_class FROM submissions WHERE id = $1', [s.id])) as { public_score: number | null; error_class: string | null }[];
    const name = (s.fileName ?? 'kernel').replace(/^[0-9a-f-]{36}-/, '');
    const title =
      outcome === 'scored'
        ? `Your kernel ${name} scored ${now?.public_score?.toFixed(4) ?? '—'} in ${c.title}`
        : outcome === 'complete'
          ? `Your kernel ${name} ran (not submitted) in ${c.title}`
          : `Your kernel ${name} failed (${now?.error_class ?? 'error'}) in ${c.title}`;
    // Once: a retried job may tell of the same end again.
    await this.notifier
      .toTeamOnce(this.ds.manager, s.teamId, { kind: outcome === 'failed' ? 'kernel-failed' : 'kernel-finished', title, link: `/competitions/${c.slug}/submissions/${s.id}` })
      .catch((err: unknown) => this.logger.write('warn', 'kernel notification not recorded', { submissionId: s.id, err: String(err) }));
  }


  /** Records the step a run reached (and the device it holds). */
  private async setStep(runRowId: string, step: KernelRunStep, o: { gpu?: string | null } = {}, m: EntityManager = this.ds.manager): Promise<void> {
    if (o.gpu !== undefined) await m.query('UPDATE kernel_runs SET step = $2, gpu = $3, updated_at = now() WHERE id = $1', [runRowId, step, o.gpu]);
    else await m.query('UPDATE kernel_runs SET step = $2, updated_at = now() WHERE id = $1', [runRowId, step]);
  }

  /** Engine down, image missing, sandbox lost…: retried by BullMQ; after the last attempt, failed as ours (not charged). */
  private async infrastructureFault(job: Job<KernelJobData>, s: Submission, c: Competition, runRowId: string, err: Error): Promise<never> {
    await this.finishRun(runRowId, { outcome: 'error', message: err.message.slice(0, 2000) });
    const permanent = err instanceof InvalidKernelSpecError || err instanceof KernelImageNotFoundError;
    const last = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    this.logger.write(last ? 'error' : 'warn', 'kernel run failed on our side', { submissionId: s.id, attempt: job.attemptsMade + 1, last, err: err.message });
    if (last) {
      await this.failInfrastructure(s, c, `the kernel could not be run on our side (${err.name}); it is not charged. Please try again later.`);
      throw new UnrecoverableError(err.message);
    }
    await this.lifecycle.requeue(s.id, ['running']);
    await this.publisher.submissionChanged(s.id, c.id);
    throw err;
  }

  private async failInfrastructure(s: Pick<Submission, 'id'>, c: Pick<Competition, 'id'>, message: string): Promise<void> {
    await this.lifecycle.failInfrastructure(s.id, message);
    await this.publisher.submissionChanged(s.id, c.id);
  }

  private async markCancelled(s: Submission, c: Competition): Promise<void> {
    await this.lifecycle.cancel(s.id);
    await this.publisher.submissionChanged(s.id, c.id);
  }

  private async finishRun(runRowId: string, o: { outcome: string; message: string }): Promise<void> {
    await this.ds.query(`UPDATE kernel_runs SET outcome = $2, message = $3, step = 'done', finished_at = now(), updated_at = now() WHERE id = $1 AND outcome IS NULL`, [runRowId, o.outcome, o.message]);
  }

  /** Shows the run is alive (the sweeper's clue) and notices a cancel whose message was lost. */
  /** An artifact into a run's scratch folder: hard-linked from the local store, copied from the cache (its files are shared by every key with the same bytes). */
  private async copyOut(key: string, to: string): Promise<void> {
    await this.files.withFile(key, (from) => (this.files.inPlace ? linkOrCopy(from, to) : copyFile(from, to)));
  }

  private async heartbeat(runRowId: string, submissionId: string, abort: AbortController): Promise<void> {
    try {
      await this.ds.query(`UPDATE kernel_runs SET updated_at = now() WHERE id = $1`, [runRowId]);
      const r: { status: string }[] = await this.ds.query('SELECT status FROM submissions WHERE id = $1', [submissionId]);
      if (r[0]?.status === 'cancelled') abort.abort(new Error('cancelled'));
    } catch {
      // The next beat tries again.
    }
  }

  private async publishLog(submissionId: string, run: RunRow, lines: string[], at: number[]): Promise<void> {
    const e: KernelLogEvent = { type: 'kernel-log', submissionId, run: run.phase, attempt: run.attempt, lines, at };
    await this.redis.publish(kernelChannels.log(this.config.queuePrefix, submissionId), JSON.stringify(e));
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  await link(from, to).catch(() => copyFile(from, to));
}


function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
