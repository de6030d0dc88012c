import { Inject, Injectable } from '@nestjs/common';
import type { ScoreJobData } from '@holdout/contracts';
import { type AppConfig, Competition, JsonLogger, LocalArtifactStore, ScoreRecord, SolutionVersion, Submission } from '@holdout/db';
import { UnrecoverableError, type Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { CONFIG } from '../tokens.js';
import { Publisher } from '../publisher.js';
import { ScorerPool, SubmissionRejected } from './scorer-pool.js';
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
    private readonly store: LocalArtifactStore,
    private readonly publisher: Publisher,
    private readonly logger: JsonLogger,
    @Inject(CONFIG) private readonly config: AppConfig & { testScoringDelayMs?: number },
  ) {}

  async process(job: Job<ScoreJobData>): Promise<ScoreOutcomeKind> {
    const { submissionId, rescoreId } = job.data;
    const run = rescoreId ?? 'initial';
    const s = await this.ds.getRepository(Submission).findOne({ where: { id: submissionId } });
    if (!s) return 'skipped';
    const submissionPath = await this.pathToScore(s, rescoreId);
    if (!submissionPath) return 'skipped';
    const kernel = s.kind === 'kernel';
    const c = await this.ds.getRepository(Competition).findOneOrFail({ where: { id: s.competitionId } });
    if (!c.currentSolutionVersionId) throw new Error(`competition ${c.slug} has no solution version`);
    const version = await this.ds.getRepository(SolutionVersion).findOneOrFail({ where: { id: c.currentSolutionVersionId } });

    if (rescoreId) {
      if (await this.ds.getRepository(ScoreRecord).exists({ where: { submissionId, solutionVersionId: version.id, run } })) return 'skipped';
    } else {
      if (s.status === 'scored' || s.status === 'failed' || s.status === 'cancelled') return 'skipped';
      // Claim: only a queued or half-scored (previous worker died) submission moves on.
      const claimed: unknown[] = await this.ds.query(
        `UPDATE submissions SET status = 'scoring', attempts = attempts + 1, started_at = now(), updated_at = now() WHERE id = $1 AND status IN ('queued', 'scoring') RETURNING id`,
        [submissionId],
      );
      // TypeORM returns [rows, rowCount] for an UPDATE.
      const [rows] = claimed as [unknown[], number];
      if (rows.length === 0) return 'skipped';
      await this.publisher.submission(submissionId, c.id);
    }

    try {
      const r = await this.pool.score({
        metric: c.metric,
        rleOrder: c.rleOrder,
        solutionPath: version.path,
        solutionChecksum: version.checksum,
        submissionPath,
        ...(this.config.testScoringDelayMs ? { delayMs: this.config.testScoringDelayMs } : {}),
      });
      await this.ds.transaction(async (m) => {
        await m.query(
          `INSERT INTO score_records (submission_id, solution_version_id, run, public_score, private_score, public_interval, private_interval)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (submission_id, solution_version_id, run) DO NOTHING`,
          [submissionId, version.id, run, r.public?.score ?? null, r.private?.score ?? null, json(r.public?.interval), json(r.private?.interval)],
        );
        await m.query(
          `UPDATE submissions SET status = 'scored', public_score = $2, private_score = $3, public_interval = $4, private_interval = $5,
                  per_image_public = $6, per_image_private = $7, solution_version_id = $8, error_class = NULL, error_code = NULL,
                  error_message = NULL, error_row = NULL, scored_at = now(), updated_at = now()
            WHERE id = $1 AND ${rescoreId ? "status IN ('scored', 'failed')" : "status = 'scoring'"}`,
          [submissionId, r.public?.score ?? null, r.private?.score ?? null, json(r.public?.interval), json(r.private?.interval), JSON.stringify(r.perImagePublic), JSON.stringify(r.perImagePrivate), version.id],
        );
      });
      await this.publisher.submission(submissionId, c.id);
      await this.publisher.competition(c.id);
      return 'scored';
    } catch (err) {
      if (err instanceof SubmissionRejected) {
        await this.ds.transaction(async (m) => {
          await m.query(
            `INSERT INTO score_records (submission_id, solution_version_id, run, error_code, error_message) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (submission_id, solution_version_id, run) DO NOTHING`,
            [submissionId, version.id, run, err.code, err.message],
          );
          // The same class as on first scoring: `validation` for a file, `scoring-error` for a kernel's output.
          await m.query(
            `UPDATE submissions SET status = 'failed', error_class = $6, error_code = $2, error_message = $3, error_row = $4,
                    public_score = NULL, private_score = NULL, public_interval = NULL, private_interval = NULL, per_image_public = NULL,
                    per_image_private = NULL, selected = false, solution_version_id = $5, scored_at = now(), updated_at = now()
              WHERE id = $1 AND ${rescoreId ? "status IN ('scored', 'failed')" : "status = 'scoring'"}`,
            [submissionId, err.code, kernel ? kernelRejectedMessage(err.message) : err.message, err.row, version.id, kernel ? 'scoring-error' : 'validation'],
          );
        });
        await this.publisher.submission(submissionId, c.id);
        if (rescoreId) await this.publisher.competition(c.id);
        throw new UnrecoverableError(err.message);
      }
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      this.logger.write('warn', 'scoring failed', { submissionId, attempt: job.attemptsMade + 1, last, err: (err as Error).message });
      if (last && !rescoreId) {
        await this.ds.query(
          `UPDATE submissions SET status = 'failed', error_class = 'infrastructure', error_code = 'infrastructure', error_message = $2, updated_at = now() WHERE id = $1 AND status = 'scoring'`,
          [submissionId, 'scoring failed on our side; this submission is not charged to your quota. Please try again.'],
        );
        await this.publisher.submission(submissionId, c.id);
      }
      throw err;
    }
  }

  /**
   * The file this job scores: a file submission's upload; for a kernel, only on a rescore, the
   * stored submission.csv of its latest successful run (the first scoring is the kernel run's
   * own, and a rescore never runs the kernel again). Null: nothing to score here.
   */
  private async pathToScore(s: Submission, rescoreId: string | undefined): Promise<string | null> {
    if (s.kind === 'file') return s.artifactPath ? this.store.path(s.artifactPath) : null;
    if (s.kind !== 'kernel' || !rescoreId) return null;
    const out = await kernelOutputOf(this.ds, s.id);
    if (!out) this.logger.write('warn', 'rescore: the kernel has no collected output', { submissionId: s.id });
    return out ? this.store.path(out.key) : null;
  }
}

function json(v: unknown): string | null {
  return v === undefined || v === null ? null : JSON.stringify(v);
}
