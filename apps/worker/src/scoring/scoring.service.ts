import { Inject, Injectable } from '@nestjs/common';
import type { ScoreJobData } from '@holdout/contracts';
import { type AppConfig, ArtifactFiles, Competition, HostCompetitionData, JsonLogger, ModelRun, ScoreRecord, SolutionVersion, Submission, SubmissionLifecycle, EventPublisher } from '@holdout/db';
import { rejectionClassOf } from '@holdout/rules';
import { UnrecoverableError, type Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { CONFIG } from '../tokens.js';
import { ScorerPool, scoreResultOf, SubmissionRejected } from './scorer-pool.js';
import { scoreStored } from './current-solution.js';
import { kernelOutputOf, kernelRejectedMessage } from '../kernels/kernel-output.js';

export type ScoreOutcomeKind = 'scored' | 'rejected' | 'skipped';

/**
 * Scores one file submission, or on a rescore the stored output of a kernel submission. Idempotent: a job that runs twice (worker killed, job re-enqueued
 * by the reconciler) leaves one score record and one final state.
 *
 * States: queued → scoring → scored | failed. A rejected file fails with class `validation`
 * (UnrecoverableError: no retry, not charged to the quota); any other error is thrown so BullMQ
 * retries it, and after the last attempt the submission fails with class `infrastructure`.
 * A rescore (job with `rescoreId`) keeps the submission `scored` while it runs and replaces the
 * scores at the end; the previous ones stay in score_records.
 */
@Injectable()
export class ScoringService {
  constructor(
    private readonly ds: DataSource,
    private readonly pool: ScorerPool,
    private readonly files: ArtifactFiles,
    private readonly data: HostCompetitionData,
    private readonly publisher: EventPublisher,
    private readonly lifecycle: SubmissionLifecycle,
    private readonly logger: JsonLogger,
    @Inject(CONFIG) private readonly config: AppConfig & { testScoringDelayMs?: number },
  ) {}

  async process(job: Job<ScoreJobData>): Promise<ScoreOutcomeKind> {
    const { submissionId, rescoreId } = job.data;
    const run = rescoreId ?? 'initial';
    const s = await this.ds.getRepository(Submission).findOne({ where: { id: submissionId } });
    if (!s) return 'skipped';
    const submissionKey = await this.keyToScore(s, rescoreId);
    if (!submissionKey) return 'skipped';
    const c = await this.ds.getRepository(Competition).findOneOrFail({ where: { id: s.competitionId } });
    if (!c.currentSolutionVersionId) throw new Error(`competition ${c.slug} has no solution version`);
    const version = await this.ds.getRepository(SolutionVersion).findOneOrFail({ where: { id: c.currentSolutionVersionId } });

    if (rescoreId) {
      if (await this.ds.getRepository(ScoreRecord).exists({ where: { submissionId, solutionVersionId: version.id, run } })) return 'skipped';
    } else {
      if (s.status === 'scored' || s.status === 'failed' || s.status === 'cancelled') return 'skipped';
      // Claim: only a queued or half-scored (previous worker died) submission moves on.
      if (!(await this.lifecycle.claimForScoring(submissionId))) return 'skipped';
      await this.publisher.submissionChanged(submissionId, c.id);
    }

    try {
      const r = await scoreStored({ files: this.files, data: this.data, pool: this.pool }, c, version, submissionKey, this.config.testScoringDelayMs ? { delayMs: this.config.testScoringDelayMs } : {});
      await this.lifecycle.recordScore(submissionId, scoreResultOf(r, version.id), run);
      await this.publisher.submissionChanged(submissionId, c.id);
      await this.publisher.competitionChanged(c.id);
      return 'scored';
    } catch (err) {
      if (err instanceof SubmissionRejected) {
        // The same class as on first scoring: `validation` for a file, `scoring-error` for a kernel's output.
        const message = s.kind === 'kernel' ? kernelRejectedMessage(err.message) : err.message;
        await this.lifecycle.reject(submissionId, { solutionVersionId: version.id, errorClass: rejectionClassOf(s.kind), code: err.code, message, row: err.row }, run);
        await this.publisher.submissionChanged(submissionId, c.id);
        if (rescoreId) await this.publisher.competitionChanged(c.id);
        throw new UnrecoverableError(err.message);
      }
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      this.logger.write('warn', 'scoring failed', { submissionId, attempt: job.attemptsMade + 1, last, err: (err as Error).message });
      if (last && !rescoreId) {
        await this.lifecycle.failInfrastructure(submissionId, 'scoring failed on our side; this submission is not charged to your quota. Please try again.', { only: ['scoring'] });
        await this.publisher.submissionChanged(submissionId, c.id);
      }
      throw err;
    }
  }

  /**
   * The artifact this job scores: a file submission's upload; for a kernel or a model, only on a
   * rescore, the stored predictions of its latest successful run (the first scoring is the run's
   * own, and a rescore never runs it again). Null: nothing to score here.
   */
  private async keyToScore(s: Submission, rescoreId: string | undefined): Promise<string | null> {
    if (s.kind === 'file') return s.artifactPath;
    if (!rescoreId) return null;
    if (s.kind === 'model') {
      const run = await this.ds.getRepository(ModelRun).findOne({ where: { submissionId: s.id, outcome: 'succeeded' }, order: { attempt: 'DESC' } });
      if (!run?.outputPath) this.logger.write('warn', 'rescore: the model run left no predictions', { submissionId: s.id });
      return run?.outputPath ?? null;
    }
    if (s.kind !== 'kernel') return null;
    const out = await kernelOutputOf(this.ds, s.id);
    if (!out) this.logger.write('warn', 'rescore: the kernel has no collected output', { submissionId: s.id });
    return out?.key ?? null;
  }
}
