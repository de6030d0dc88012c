import { Inject, Injectable } from '@nestjs/common';
import { AuditEvent, buildDataJobOptions, Competition, CompetitionData, HostCompetitionData, JsonLogger, HOLDS_REVEAL_SQL, LIVE_JOB_STATES, provisionCompetitionData, RESCORABLE_SQL, scoreJobOptions, SubmissionLifecycle, type AppConfig, EventPublisher, Notifier } from '@holdout/db';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { JOBS } from '../jobs.js';
import { CONFIG } from '../tokens.js';

/** After this many started attempts a stuck submission fails (infrastructure) instead of looping. */
export const MAX_SCORING_ATTEMPTS = 5;
/** How long after the close the reveal waits at least: uploads accepted just before it commit, API clocks may differ a little. */
export const REVEAL_SETTLE_MS = 5_000;
/** How often a held reveal checks again. */
export const REVEAL_RECHECK_MS = 2_000;

/** `held`: closed, but not settled yet (see `reveal`); `not-due`: revealed already, not closed, or gone. */
export type RevealOutcome = 'revealed' | 'held' | 'not-due';

@Injectable()
export class MaintenanceService {
  constructor(
    private readonly ds: DataSource,
    private readonly publisher: EventPublisher,
    private readonly notifier: Notifier,
    private readonly lifecycle: SubmissionLifecycle,
    private readonly bundles: CompetitionData,
    private readonly hostData: HostCompetitionData,
    private readonly logger: JsonLogger,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  /** The pending count last logged for a held reveal, so a reveal held for hours logs its changes only. */
  private readonly heldLogged = new Map<string, number>();

  /**
   * Reveals the private board of a competition whose close has passed, once it is settled: the
   * close lies `REVEAL_SETTLE_MS` behind (an upload accepted on time has committed by then) and no
   * submission made before the close is still queued, running or scoring (HOLDS_REVEAL_SQL). Until
   * then the reveal is `held`; the reveal job checks again every `REVEAL_RECHECK_MS`, and the
   * reconciler reveals whatever it finds due. So the revealed board holds every submission made
   * before the close, scored or failed, and nothing lands on it afterwards. Idempotent.
   */
  async reveal(competitionId: string): Promise<RevealOutcome> {
    const outcome = await this.ds.transaction(async (m): Promise<RevealOutcome> => {
      const [rows] = (await m.query(
        `UPDATE competitions c SET revealed_at = now()
          WHERE c.id = $1 AND c.revealed_at IS NULL AND c.closes_at <= now() - make_interval(secs => $2)
            AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.competition_id = c.id AND ${HOLDS_REVEAL_SQL})
          RETURNING c.id`,
        [competitionId, REVEAL_SETTLE_MS / 1000],
      )) as [unknown[], number];
      if (rows.length > 0) {
        await m.getRepository(AuditEvent).insert({ actorId: null, action: 'competition.reveal', competitionId, subjectType: 'competition', subjectId: competitionId, data: {} });
        return 'revealed';
      }
      const [c] = (await m.query(
        `SELECT c.revealed_at IS NULL AND c.closes_at <= now() AS due,
                (SELECT count(*) FROM submissions s WHERE s.competition_id = c.id AND ${HOLDS_REVEAL_SQL})::int AS pending
           FROM competitions c WHERE c.id = $1`,
        [competitionId],
      )) as { due: boolean; pending: number }[];
      if (!c?.due) return 'not-due';
      if (this.heldLogged.get(competitionId) !== c.pending) {
        this.heldLogged.set(competitionId, c.pending);
        this.logger.write('info', 'reveal held: the close is settling, or submissions made before it are still being scored', { competitionId, pending: c.pending });
      }
      return 'held';
    });
    if (outcome === 'revealed') {
      this.heldLogged.delete(competitionId);
      this.logger.write('info', 'revealed the private leaderboard', { competitionId });
      await this.publisher.competitionChanged(competitionId);
      const c = await this.ds.getRepository(Competition).findOneByOrFail({ id: competitionId });
      await this.notifier.toParticipants(this.ds.manager, competitionId, { kind: 'reveal', title: `The private leaderboard of ${c.title} is out`, link: `/competitions/${c.slug}/leaderboard?split=private` });
    }
    return outcome;
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
    await provisionCompetitionData(this.ds, this.bundles, competitionId, this.config.dataDir, { host: this.hostData });
    await this.publisher.competitionChanged(competitionId);
    return true;
  }

  /**
   * The sweeper. Postgres is the source of truth: every submission still queued or scoring after
   * `stuckAfter` whose job is not live in Redis (worker died after its retries, Redis lost the
   * queue, enqueue failed after commit) is enqueued again, or failed once it has used its
   * attempts. Also reveals closed competitions once settled (`reveal`), restarts pending data
   * builds and deletes expired sessions.
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
    for (const c of overdue) if ((await this.reveal(c.id)) === 'revealed') revealed++;
    const pending: { id: string }[] = await this.ds.query(`SELECT id FROM competitions WHERE data_status = 'pending' AND created_at < now() - interval '1 minute'`);
    for (const c of pending) {
      await maintenance.add(JOBS.buildData, { competitionId: c.id }, buildDataJobOptions(c.id));
    }
    await this.ds.query(`DELETE FROM sessions WHERE expires_at < now()`);
    if (requeued || failed || revealed) this.logger.write('info', 'reconciled', { requeued, failed, revealed });
    return { requeued, failed, revealed };
  }
}
