import { Inject, Injectable } from '@nestjs/common';
import { AuditEvent, buildDataJobOptions, Competition, CompetitionData, JsonLogger, LIVE_JOB_STATES, provisionCompetitionData, RESCORABLE_SQL, scoreJobOptions, SubmissionLifecycle, type AppConfig, EventPublisher, Notifier } from '@holdout/db';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { JOBS } from '../jobs.js';
import { CONFIG } from '../tokens.js';

/** After this many started attempts a stuck submission fails (infrastructure) instead of looping. */
export const MAX_SCORING_ATTEMPTS = 5;

@Injectable()
export class MaintenanceService {
  constructor(
    private readonly ds: DataSource,
    private readonly publisher: EventPublisher,
    private readonly notifier: Notifier,
    private readonly lifecycle: SubmissionLifecycle,
    private readonly bundles: CompetitionData,
    private readonly logger: JsonLogger,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  /** Reveals the private board of a competition whose close has passed. Idempotent. */
  async reveal(competitionId: string): Promise<boolean> {
    const revealed = await this.ds.transaction(async (m) => {
      const [rows] = (await m.query(`UPDATE competitions SET revealed_at = now() WHERE id = $1 AND revealed_at IS NULL AND closes_at <= now() RETURNING id, closes_at`, [competitionId])) as [unknown[], number];
      if (rows.length === 0) return false;
      await m.getRepository(AuditEvent).insert({ actorId: null, action: 'competition.reveal', competitionId, subjectType: 'competition', subjectId: competitionId, data: {} });
      return true;
    });
    if (revealed) {
      this.logger.write('info', 'revealed the private leaderboard', { competitionId });
      await this.publisher.competitionChanged(competitionId);
      const c = await this.ds.getRepository(Competition).findOneByOrFail({ id: competitionId });
      await this.notifier.toParticipants(this.ds.manager, competitionId, { kind: 'reveal', title: `The private leaderboard of ${c.title} is out`, link: `/competitions/${c.slug}/leaderboard?split=private` });
    }
    return revealed;
  }

  /**
   * Builds a competition's data. A job for a competition that no longer exists (deleted, or a
   * database reset under a Redis that kept its jobs) completes at once: retrying cannot help.
   */
  async buildData(competitionId: string): Promise<boolean> {
    if (!(await this.ds.getRepository(Competition).existsBy({ id: competitionId }))) {
      this.logger.write('info', 'data build skipped: the competition no longer exists', { competitionId });
      return false;
    }
    await provisionCompetitionData(this.ds, this.bundles, competitionId, this.config.dataDir);
    await this.publisher.competitionChanged(competitionId);
    return true;
  }

  /**
   * The sweeper. Postgres is the source of truth: every submission still queued or scoring after
   * `stuckAfter` whose job is not live in Redis (worker died after its retries, Redis lost the
   * queue, enqueue failed after commit) is enqueued again, or failed once it has used its
   * attempts. Also reveals overdue competitions, restarts pending data builds and deletes expired
   * sessions.
   */
  async reconcile(scoring: Queue, maintenance: Queue): Promise<{ requeued: number; failed: number; revealed: number }> {
    let requeued = 0;
    let failed = 0;
    const stuck: { id: string; attempts: number }[] = await this.ds.query(
      `SELECT id, attempts FROM submissions WHERE status IN ('queued', 'scoring') AND kind = 'file' AND updated_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT 500`,
      [this.config.stuckAfterMs / 1000],
    );
    for (const s of stuck) {
      const job = await scoring.getJob(s.id);
      const state = job ? await job.getState() : null;
      if (state && LIVE_JOB_STATES.has(state)) continue;
      if (s.attempts >= MAX_SCORING_ATTEMPTS) {
        await this.lifecycle.failInfrastructure(s.id, 'scoring did not finish after several attempts; this submission is not charged to your quota', { code: 'stuck', only: ['queued', 'scoring'] });
        failed++;
        const c: { competition_id: string }[] = await this.ds.query('SELECT competition_id FROM submissions WHERE id = $1', [s.id]);
        await this.publisher.submissionChanged(s.id, c[0]!.competition_id);
        continue;
      }
      if (job) await job.remove().catch(() => undefined);
      await this.lifecycle.touch(s.id);
      await scoring.add(JOBS.score, { submissionId: s.id }, scoreJobOptions(s.id));
      requeued++;
    }
    // Scored against an older solution version than the competition's current one (a rescore job
    // lost with Redis, or scored on the old version while a rescore was being issued): score again.
    // Kernels too: the scoring queue scores their stored output (no new run).
    const outdated: { id: string; v: string }[] = await this.ds.query(
      `SELECT s.id, c.current_solution_version_id AS v FROM submissions s JOIN competitions c ON c.id = s.competition_id
        WHERE ${RESCORABLE_SQL}
          AND s.solution_version_id IS DISTINCT FROM c.current_solution_version_id AND c.current_solution_version_id IS NOT NULL
          AND s.updated_at < now() - make_interval(secs => $1) LIMIT 500`,
      [this.config.stuckAfterMs / 1000],
    );
    for (const o of outdated) {
      const jobId = `${o.id}_catchup_${o.v}`;
      const job = await scoring.getJob(jobId);
      if (job && LIVE_JOB_STATES.has(await job.getState())) continue;
      if (job) await job.remove().catch(() => undefined);
      await this.lifecycle.touch(o.id);
      await scoring.add(JOBS.score, { submissionId: o.id, rescoreId: `catchup-${o.v}` }, scoreJobOptions(jobId));
      requeued++;
    }
    const overdue: { id: string }[] = await this.ds.query(`SELECT id FROM competitions WHERE revealed_at IS NULL AND closes_at <= now()`);
    let revealed = 0;
    for (const c of overdue) if (await this.reveal(c.id)) revealed++;
    const pending: { id: string }[] = await this.ds.query(`SELECT id FROM competitions WHERE data_status = 'pending' AND created_at < now() - interval '1 minute'`);
    for (const c of pending) {
      await maintenance.add(JOBS.buildData, { competitionId: c.id }, buildDataJobOptions(c.id));
    }
    await this.ds.query(`DELETE FROM sessions WHERE expires_at < now()`);
    if (requeued || failed || revealed) this.logger.write('info', 'reconciled', { requeued, failed, revealed });
    return { requeued, failed, revealed };
  }
}
