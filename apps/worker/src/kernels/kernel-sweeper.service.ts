import { Inject, Injectable } from '@nestjs/common';
import { JsonLogger, kernelHostKeys, kernelJobOptions, LIVE_JOB_STATES, SubmissionLifecycle, type AppConfig, EventPublisher } from '@holdout/db';
import { kernelAttemptsExhausted, MAX_KERNEL_ATTEMPTS } from '@holdout/rules';

import type { KernelRunner, ReconcileResult, SweepResult } from '@holdout/sandbox';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { CONFIG, REDIS } from '../tokens.js';
import { KernelRunService, parseRunId } from './kernel-run.service.js';
import { KERNEL_RUNNER } from './tokens.js';

/** A run whose heartbeat (every 5 s) is older than this, with no live job, is considered lost. */
const RUN_SILENT_MS = 30_000;

/**
 * Crash safety for kernels. At start: the runner removes this worker's orphaned sandboxes and
 * their runs are re-queued (a new attempt) or failed once they used their attempts. Every
 * reconcile period: kernel submissions queued without a live job are enqueued again, running
 * ones whose worker went silent are re-queued or failed — never stuck in `running` — and the
 * sandboxes of kernel workers that died (whatever their owner id) are removed.
 */
@Injectable()
export class KernelSweeper {
  /**
   * How long a kernel worker's heartbeat (`kernelHostKeys`, refreshed every 20 s) must stay
   * missing, as this process sees it, before its sandboxes are removed. Longer than a refresh:
   * a Redis that lost its data is refilled by every live worker within one.
   */
  deadAfterMs = kernelHostKeys.ttlSeconds * 1000;
  /** Owners seen without a heartbeat, and since when. */
  private readonly silentSince = new Map<string, number>();

  constructor(
    private readonly ds: DataSource,
    private readonly runs: KernelRunService,
    private readonly publisher: EventPublisher,
    private readonly lifecycle: SubmissionLifecycle,
    private readonly logger: JsonLogger,
    @Inject(KERNEL_RUNNER) private readonly runner: KernelRunner,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** At worker start, before taking jobs. */
  async reconcileSandboxes(queues: Record<string, Queue>): Promise<ReconcileResult> {
    const active = new Set(this.runs.activeSubmissions());
    const result = await this.runner.reconcile({ isRunActive: (runId) => active.has(parseRunId(runId)?.submissionId ?? '') });
    for (const o of result.orphans) {
      const id = parseRunId(o.runId);
      if (!id) continue;
      await this.release(id.submissionId, 'its worker restarted while it ran', queues);
    }
    if (result.orphans.length) this.logger.write('info', 'removed orphaned kernel sandboxes', { orphans: result.orphans.map((o) => o.runId) });
    return result;
  }

  /** Periodic: lost jobs, silent runs, and dead workers' sandboxes. */
  async sweep(queues: Record<string, Queue>): Promise<{ requeued: number; released: number; removed: number }> {
    let requeued = 0;
    let released = 0;
    const queued: { id: string; queue: string }[] = await this.ds.query(
      `SELECT s.id, k.queue FROM submissions s JOIN kernel_submissions k ON k.submission_id = s.id
        WHERE s.kind = 'kernel' AND s.status = 'queued' AND s.updated_at < now() - make_interval(secs => $1) ORDER BY s.created_at LIMIT 500`,
      [this.config.stuckAfterMs / 1000],
    );
    for (const s of queued) if (await this.ensureJob(s.id, queues[s.queue]!)) requeued++;
    const silent: { id: string }[] = await this.ds.query(
      `SELECT s.id FROM submissions s
        WHERE s.kind = 'kernel' AND s.status IN ('running', 'scoring') AND s.updated_at < now() - make_interval(secs => $1)
          AND NOT EXISTS (SELECT 1 FROM kernel_runs r WHERE r.submission_id = s.id AND r.updated_at >= now() - make_interval(secs => $1))
        LIMIT 500`,
      [Math.max(this.config.stuckAfterMs, RUN_SILENT_MS) / 1000],
    );
    for (const s of silent) {
      if (this.runs.activeSubmissions().includes(s.id)) continue;
      if (await this.release(s.id, 'its worker stopped answering', queues)) released++;
    }
    if (requeued || released) this.logger.write('info', 'kernel sweep', { requeued, released });
    // Their runs were released above (silent heartbeat on kernel_runs); this frees the machine.
    const removed = await this.sweepDeadWorkers().then(
      (r) => r?.orphans.length ?? 0,
      (err: unknown) => {
        this.logger.write('warn', 'could not sweep the sandboxes of dead kernel workers', { err: (err as Error).message });
        return 0;
      },
    );
    return { requeued, released, removed };
  }

  /**
   * Removes the sandboxes (containers, and on this machine their mounted working volumes and
   * scratch) of kernel workers of this deployment whose heartbeat has been missing for
   * `deadAfterMs`, whatever their owner id. Null when the runner cannot sweep.
   */
  async sweepDeadWorkers(): Promise<SweepResult | null> {
    if (!this.runner.sweepDeadOwners) return null;
    const now = Date.now();
    const asked = new Set<string>();
    const result = await this.runner.sweepDeadOwners({
      isOwnerAlive: async (owner) => {
        asked.add(owner);
        if ((await this.redis.exists(kernelHostKeys.one(this.config.queuePrefix, owner))) === 1) {
          this.silentSince.delete(owner);
          return true;
        }
        const since = this.silentSince.get(owner) ?? now;
        this.silentSince.set(owner, since);
        return now - since < this.deadAfterMs;
      },
    });
    for (const owner of this.silentSince.keys()) if (!asked.has(owner)) this.silentSince.delete(owner); // gone: forget
    if (result.orphans.length || result.removedScratchDirs.length) {
      this.logger.write('info', 'removed the sandboxes of dead kernel workers', {
        owners: result.deadOwners,
        runs: result.orphans.map((o) => o.runId),
        scratch: result.removedScratchDirs.length,
      });
    }
    return result;
  }

  /**
   * A run that lost its worker: marked `lost` (not charged), then the submission goes back to
   * `queued` for another attempt, or fails as ours once it has used its attempts.
   */
  private async release(submissionId: string, why: string, queues: Record<string, Queue>): Promise<boolean> {
    const rows: { status: string; attempts: number; retries: number; competition_id: string; queue: string }[] = await this.ds.query(
      `SELECT s.status, s.attempts, s.retries, s.competition_id, k.queue FROM submissions s JOIN kernel_submissions k ON k.submission_id = s.id WHERE s.id = $1`,
      [submissionId],
    );
    const s = rows[0];
    if (!s) return false;
    await this.ds.query(`UPDATE kernel_runs SET outcome = 'lost', message = $2, finished_at = now(), updated_at = now() WHERE submission_id = $1 AND outcome IS NULL`, [submissionId, why]);
    if (s.status === 'scoring') {
      // The output was collected: the job scores it again.
      await this.ensureJob(submissionId, queues[s.queue]!, true);
      return true;
    }
    if (s.status !== 'running') return false;
    // Released to the queue, it would start attempt `attempts + 1`: fail it now if that is one too many.
    if (kernelAttemptsExhausted({ attempts: s.attempts + 1, retries: s.retries })) {
      const why = `the kernel's worker stopped ${MAX_KERNEL_ATTEMPTS} times while running it; it is not charged. Please submit it again.`;
      await this.lifecycle.failInfrastructure(submissionId, why, { code: 'lost', only: ['running'] });
    } else {
      await this.lifecycle.requeue(submissionId, ['running']);
      await this.ensureJob(submissionId, queues[s.queue]!, true);
    }
    await this.publisher.submissionChanged(submissionId, s.competition_id);
    return true;
  }

  /** Enqueues the submission's job unless a live one exists. `force`: an active job of a dead worker is replaced too. */
  private async ensureJob(submissionId: string, queue: Queue, force = false): Promise<boolean> {
    const job = await queue.getJob(submissionId);
    const state = job ? await job.getState() : null;
    if (state && LIVE_JOB_STATES.has(state) && !(force && state === 'active' && !(await isLocked(queue, submissionId)))) return false;
    if (job) await job.remove().catch(() => undefined);
    await this.lifecycle.touch(submissionId);
    await queue.add('run', { submissionId }, kernelJobOptions(submissionId));
    return true;
  }
}

/** Whether some live worker holds the job's lock (BullMQ keeps it in `<prefix>:<queue>:<id>:lock`). */
async function isLocked(queue: Queue, jobId: string): Promise<boolean> {
  const client = (queue.opts as { connection: Redis }).connection;
  return (await client.exists(`${queue.keys['']}${jobId}:lock`)) === 1;
}

