import { availableParallelism, hostname } from 'node:os';
import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { testImagesOf, toCsv, type CompetitionConfig, type TestImage } from '@holdout/competition';
import type { ModelJobData } from '@holdout/contracts';
import { ArtifactFiles, Competition, EventPublisher, HostCompetitionData, JsonLogger, ModelRun, Notifier, Submission, SubmissionLifecycle, type AppConfig } from '@holdout/db';
import { checkModelFor, createPredictor, openImage, PredictorError, predictInstances, predictMask, type PipelineConfig, type Predictor, type Progress } from '@holdout/inference';
import { UnrecoverableError, type Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { ScorerPool, scoreResultOf, SubmissionRejected } from '../scoring/scorer-pool.js';
import { currentSolution, scoreStored } from '../scoring/current-solution.js';
import { CONFIG } from '../tokens.js';

export type ModelJobOutcome = 'scored' | 'failed' | 'cancelled' | 'skipped';

type ModelSettings = NonNullable<CompetitionConfig['model']>;

/** Progress is written to the run's row at most this often (the API reads it for the live page). */
const PROGRESS_EVERY_MS = 1000;

/** Why a run was stopped from outside: the team or staff cancelled it, its time ran out, or the worker stops. */
class Stopped extends Error {
  constructor(readonly why: 'cancelled' | 'timeout' | 'shutdown') {
    super(why);
  }
}

/** The model no longer passes the competition's checks (its limits changed since the upload): not the team's fault. */
class ModelRefused extends Error {}

/**
 * Runs one model submission: the submitted ONNX model (or ensemble) through the competition's
 * tiled pipeline (libs/inference) over every test image, public and hidden alike — the images
 * never leave the worker, only the score does — then scores the predictions it wrote like a file.
 *
 * Status: queued → running → scoring → scored | failed (timeout, or `exception` with code
 * `model_output` for NaN or a wrong shape: the model's, charged; infrastructure: ours, not
 * charged) | cancelled. One `model_runs` row per attempt: a worker that dies mid-run leaves its
 * row `lost` and BullMQ hands the job to another worker, which starts a new attempt; a run that
 * had written its predictions (`scoring`) is only scored again. Scores are recorded through the
 * lifecycle's guarded transitions, so a redelivered job never scores twice.
 */
@Injectable()
export class ModelRunService {
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
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  activeSubmissions(): string[] {
    return [...this.running.keys()];
  }

  /** Stops the run of a submission if this process drives it; true when it did. */
  stop(submissionId: string, why: 'cancelled' | 'shutdown'): boolean {
    const c = this.running.get(submissionId);
    c?.abort(new Stopped(why));
    return c !== undefined;
  }

  async process(job: Job<ModelJobData>): Promise<ModelJobOutcome> {
    const { submissionId } = job.data;
    const s = await this.ds.getRepository(Submission).findOne({ where: { id: submissionId } });
    if (!s || s.kind !== 'model' || !s.artifactPath) return 'skipped';
    const c = await this.ds.getRepository(Competition).findOneOrFail({ where: { id: s.competitionId } });
    const settings = (c.config as CompetitionConfig).model;
    let outcome: ModelJobOutcome;
    if (s.status === 'scoring') outcome = await this.scoreLatest(s, c);
    else if (s.status === 'queued' || s.status === 'running') {
      if (!settings) {
        await this.lifecycle.failInfrastructure(s.id, 'this competition no longer runs models; not charged to your quota', { only: ['queued', 'running'] });
        await this.publisher.submissionChanged(s.id, c.id);
        await this.notify(s, c, 'failed');
        return 'failed';
      }
      try {
        outcome = await this.run(job, s, c, settings);
      } catch (err) {
        // A final failure (the model's, or ours after the last attempt) ends the job with an
        // UnrecoverableError: the team is told of it too. A retried one is not final.
        if (err instanceof UnrecoverableError) await this.notify(s, c, 'failed');
        throw err;
      }
    } else {
      // Finished already: by this job's previous attempt, whose worker may have stopped between
      // recording the end and telling the team — told now if it was not.
      if (s.status === 'scored' || s.status === 'failed') await this.notify(s, c, s.status);
      return 'skipped';
    }
    await this.notify(s, c, outcome);
    return outcome;
  }

  /** Tells the team how a model submission that just ended (a sweeper's verdict) ended, once. */
  async notifyEnded(submissionId: string): Promise<void> {
    const s = await this.ds.getRepository(Submission).findOne({ where: { id: submissionId } });
    if (!s || (s.status !== 'scored' && s.status !== 'failed')) return;
    const c = await this.ds.getRepository(Competition).findOneOrFail({ where: { id: s.competitionId } });
    await this.notify(s, c, s.status);
  }

  private async run(job: Job<ModelJobData>, s: Submission, c: Competition, settings: ModelSettings): Promise<ModelJobOutcome> {
    const attempt = await this.lifecycle.claimModelRun(s.id);
    if (attempt === null) return 'skipped';
    const runs = this.ds.getRepository(ModelRun);
    // Attempts before this one ended with their worker.
    await runs.createQueryBuilder().update().set({ outcome: 'lost', message: 'its worker stopped', finishedAt: () => 'now()' }).where('submission_id = :id AND outcome IS NULL', { id: s.id }).execute();
    const row = await runs.save(runs.create({ submissionId: s.id, attempt, startedAt: new Date(), host: hostname() }));
    await this.publisher.submissionChanged(s.id, c.id);

    const abort = new AbortController();
    this.running.set(s.id, abort);
    const timer = setTimeout(() => abort.abort(new Stopped('timeout')), settings.timeLimitSeconds * 1000);
    let predictor: Predictor | null = null;
    const started = Date.now();
    try {
      const version = await currentSolution(this.ds, c);
      const images = await this.data.withSolution(c, version, async (solutionPath) => testImagesOf({ ...(await this.data.data(c)), solutionPath }));
      await runs.update(row.id, { imagesTotal: images.length });
      // Checked again where it runs: the limits may have changed since the upload, and this is the process that loads it.
      // The check hands back the bytes it read: the file is read once.
      const check = await this.files.withFile(s.artifactPath!, (path) => checkModelFor(settings, path, s.fileName ?? 'model.onnx', { keepBytes: true }));
      if (!check.ok) throw new ModelRefused(check.problems.map((p) => p.message).join('; '));
      await runs.update(row.id, { modelInfo: { members: check.members.map(({ name, info }) => ({ name, info })) } });
      predictor = await createPredictor({
        models: check.members.map((m) => m.bytes),
        transferModels: true,
        outputKind: settings.output.kind,
        // The pipeline never reuses a batch's input: the thread may take it over instead of copying it.
        transferInput: true,
        // HOLDOUT_MODEL_THREADS, else the machine's CPUs shared among the model submissions it may
        // run at once; split among HOLDOUT_MODEL_PARALLEL_RUNS calls at once (else createPredictor's default).
        threads: this.config.models.threads ?? Math.max(1, Math.floor(availableParallelism() / this.config.models.concurrency)),
        ...(this.config.models.parallelRuns !== null ? { parallelRuns: this.config.models.parallelRuns } : {}),
        // `cuda`: on the first GPU this worker was given (its CUDA binaries installed by the operator).
        ...(this.config.models.provider === 'cuda' ? { executionProvider: 'cuda' as const, deviceId: Number(this.config.kernels.gpus[0] ?? 0) } : {}),
      });
      const rows = await this.predictAll(s.id, images, predictor, c, settings, abort, row.id);
      const key = `model-runs/${s.id}/${attempt}/submission.csv`;
      await this.files.store.put(key, Readable.from([toCsv(['id', 'predicted'], rows)]));
      await this.ds.transaction(async (m) => {
        await m.getRepository(ModelRun).update(row.id, { outcome: 'succeeded', outputPath: key, imagesDone: images.length, finishedAt: new Date(), durationMs: Date.now() - started });
        await this.lifecycle.collectOutput(s.id, m);
      });
      await this.publisher.submissionChanged(s.id, c.id);
    } catch (err) {
      return await this.failed(job, s, c, row.id, started, abort.signal.reason ?? err, settings);
    } finally {
      clearTimeout(timer);
      this.running.delete(s.id);
      await predictor?.close().catch(() => undefined);
    }
    return this.scoreLatest(s, c);
  }

  /** Every image through the pipeline, in id order; progress on the run's row (throttled). */
  private async predictAll(submissionId: string, images: TestImage[], predictor: Predictor, c: Competition, settings: ModelSettings, abort: AbortController, runId: string): Promise<(string | number)[][]> {
    const config = settings as unknown as PipelineConfig;
    const signal = abort.signal;
    const rows: (string | number)[][] = [];
    let last = 0;
    const onProgress = (p: Progress) => {
      const now = Date.now();
      if (now - last < PROGRESS_EVERY_MS && p.done < p.total) return;
      last = now;
      void this.ds.getRepository(ModelRun).update(runId, { imagesDone: p.imageIndex, windowsDone: p.done, windowsTotal: p.total }).catch(() => undefined);
      // A cancel whose message this worker missed is seen here, within a second or so.
      void this.ds
        .query('SELECT status FROM submissions WHERE id = $1', [submissionId])
        .then((r: { status: string }[]) => r[0]?.status === 'cancelled' && abort.abort(new Stopped('cancelled')))
        .catch(() => undefined);
    };
    for (const [index, image] of images.entries()) {
      if (signal.aborted) throw signal.reason;
      const source = await openImage(image.path, image.id);
      try {
        const o = { source, predictor, config, order: c.rleOrder, signal, onProgress: (p: Progress) => onProgress({ ...p, imageIndex: index, images: images.length }) };
        if (c.metric === 'dice') rows.push([image.id, await predictMask(o)]);
        else {
          const instances = await predictInstances(o);
          if (instances.length === 0) rows.push([image.id, '']);
          for (const rle of instances) rows.push([image.id, rle]);
        }
      } finally {
        await source.close();
      }
    }
    return rows;
  }

  /** How a run ended that wrote no predictions: the model's fault (charged), a stop, or ours (retried, then not charged). */
  private async failed(job: Job<ModelJobData>, s: Submission, c: Competition, runId: string, started: number, err: unknown, settings: ModelSettings): Promise<ModelJobOutcome> {
    const end = async (outcome: string, message: string) =>
      this.ds.getRepository(ModelRun).update(runId, { outcome, message, finishedAt: new Date(), durationMs: Date.now() - started });
    if (err instanceof Stopped && err.why === 'shutdown') {
      await end('lost', 'the worker stopped; the model runs again');
      await this.lifecycle.requeue(s.id, ['running']);
      throw new Error('worker shutting down');
    }
    if (err instanceof Stopped && err.why === 'cancelled') {
      await end('cancelled', 'cancelled');
      await this.publisher.submissionChanged(s.id, c.id);
      return 'cancelled';
    }
    if (err instanceof Stopped && err.why === 'timeout') {
      const message = `The model did not finish within this competition's limit of ${formatSeconds(settings.timeLimitSeconds)} over the test images.`;
      await end('timeout', message);
      await this.lifecycle.failRun(s.id, 'timeout', message);
      await this.publisher.submissionChanged(s.id, c.id);
      throw new UnrecoverableError(message);
    }
    if (err instanceof PredictorError && err.modelFault) {
      await end('invalid-output', err.message);
      await this.lifecycle.failRun(s.id, 'exception', err.message, 'model_output');
      await this.publisher.submissionChanged(s.id, c.id);
      throw new UnrecoverableError(err.message);
    }
    if (err instanceof ModelRefused) {
      await end('error', err.message);
      await this.lifecycle.failInfrastructure(s.id, `the model no longer passes this competition's checks (${err.message}); not charged to your quota`, { only: ['running'] });
      await this.publisher.submissionChanged(s.id, c.id);
      throw new UnrecoverableError(err.message);
    }
    const message = (err as Error)?.message ?? String(err);
    await end('error', message);
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    this.logger.write('warn', 'model run failed on our side', { submissionId: s.id, attempt: job.attemptsMade + 1, last, err: message });
    if (last) {
      await this.lifecycle.failInfrastructure(s.id, 'the model could not be run on our side; this submission is not charged to your quota. Please try again.', { only: ['running'] });
      await this.publisher.submissionChanged(s.id, c.id);
      throw new UnrecoverableError(message);
    }
    await this.lifecycle.requeue(s.id, ['running']);
    throw err instanceof Error ? err : new Error(message);
  }

  /** Scores the predictions of the latest successful run (after a run, or when a redelivered job finds it `scoring`). */
  private async scoreLatest(s: Submission, c: Competition): Promise<ModelJobOutcome> {
    const run = await this.ds.getRepository(ModelRun).findOne({ where: { submissionId: s.id, outcome: 'succeeded' }, order: { attempt: 'DESC' } });
    if (!run?.outputPath || !(await this.files.store.exists(run.outputPath))) {
      await this.lifecycle.requeue(s.id, ['scoring']);
      throw new Error('the predictions of the model run are missing; the model runs again');
    }
    const version = await currentSolution(this.ds, c);
    try {
      const r = await scoreStored({ files: this.files, data: this.data, pool: this.pool }, c, version, run.outputPath);
      await this.lifecycle.recordScore(s.id, scoreResultOf(r, version.id), 'initial');
      await this.publisher.submissionChanged(s.id, c.id);
      await this.publisher.competitionChanged(c.id);
      return 'scored';
    } catch (err) {
      if (!(err instanceof SubmissionRejected)) throw err;
      // The pipeline writes valid files; a rejection here is the platform's own fault, said plainly.
      await this.lifecycle.reject(s.id, { solutionVersionId: version.id, errorClass: 'scoring-error', code: err.code, message: `the model's predictions were refused by the scorer: ${err.message}`, row: err.row }, 'initial');
      await this.publisher.submissionChanged(s.id, c.id);
      return 'failed';
    }
  }

  private async notify(s: Submission, c: Competition, outcome: ModelJobOutcome): Promise<void> {
    if (outcome !== 'scored' && outcome !== 'failed') return;
    const [now] = (await this.ds.query('SELECT public_score, error_class FROM submissions WHERE id = $1', [s.id])) as { public_score: number | null; error_class: string | null }[];
    const name = s.fileName ?? 'model';
    const title = outcome === 'scored' ? `Your model ${name} scored ${now?.public_score?.toFixed(4) ?? '—'} in ${c.title}` : `Your model ${name} failed (${now?.error_class ?? 'error'}) in ${c.title}`;
    // Once: a retried job or the sweeper may tell of the same end again.
    await this.notifier
      .toTeamOnce(this.ds.manager, s.teamId, { kind: outcome === 'scored' ? 'model-finished' : 'model-failed', title, link: `/competitions/${c.slug}/submissions/${s.id}` })
      .catch((err: unknown) => this.logger.write('warn', 'model notification not recorded', { submissionId: s.id, err: String(err) }));
  }

}

const formatSeconds = (s: number) => (s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`);
