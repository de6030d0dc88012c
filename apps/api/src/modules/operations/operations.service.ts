import { Inject, Injectable } from '@nestjs/common';
import type { OperationsStatusDto } from '@holdout/contracts';
import { APP_CONFIG, type AppConfig } from '@holdout/db';
import { UNFINISHED_STATUSES } from '@holdout/rules';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { forbidden } from '../../common/domain-error.js';
import { Queues } from '../../infra/infra.module.js';
import type { Principal } from '../auth/principal.js';
import { KernelPolicies } from '../kernels/kernel-policies.service.js';
import { KernelQueues } from '../kernels/kernel-queues.js';

/** The figures docs/operations.md tells an operator to watch, in one read-only request. */
@Injectable()
export class OperationsService {
  constructor(
    private readonly ds: DataSource,
    private readonly queues: Queues,
    private readonly kernelQueues: KernelQueues,
    private readonly policies: KernelPolicies,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async status(p: Principal, now = new Date()): Promise<OperationsStatusDto> {
    if (!p.isAdmin) throw forbidden('only site administrators see the platform status');
    const all: Queue[] = [this.queues.scoring, this.kernelQueues.cpu, this.kernelQueues.gpu, this.queues.models, this.queues.maintenance];
    const [queues, unfinished, stuck, running, gpu, competitions] = await Promise.all([
      Promise.all(
        all.map(async (q) => {
          const [c, workers] = await Promise.all([q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'), q.getWorkersCount()]);
          return { name: q.name, waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0, workers };
        }),
      ),
      this.ds.query(
        `SELECT status, count(*)::int AS count, COALESCE(EXTRACT(EPOCH FROM ($2::timestamptz - min(updated_at))), 0)::int AS "oldestSeconds"
           FROM submissions WHERE status = ANY($1) GROUP BY status ORDER BY status`,
        [[...UNFINISHED_STATUSES], now],
      ) as Promise<OperationsStatusDto['unfinished']>,
      this.ds.query(`SELECT count(*)::int AS n FROM submissions WHERE status IN ('queued', 'scoring') AND updated_at < $1`, [new Date(now.getTime() - this.config.stuckAfterMs)]) as Promise<{ n: number }[]>,
      this.ds.query(
        `SELECT (SELECT count(*)::int FROM kernel_runs WHERE outcome IS NULL AND started_at IS NOT NULL) AS kernels,
                (SELECT count(*)::int FROM kernel_runs WHERE outcome IS NULL AND started_at IS NOT NULL AND gpu IS NOT NULL) AS "gpuKernels",
                (SELECT count(*)::int FROM model_runs WHERE outcome IS NULL AND started_at IS NOT NULL) AS models`,
      ) as Promise<OperationsStatusDto['running'][]>,
      this.policies.weekGpuUsage(now),
      this.ds.query(
        `SELECT count(*) FILTER (WHERE closes_at <= $1 AND revealed_at IS NULL)::int AS "awaitingReveal",
                count(*) FILTER (WHERE data_status = 'pending')::int AS "dataPending",
                count(*) FILTER (WHERE data_status = 'failed')::int AS "dataFailed"
           FROM competitions`,
        [now],
      ) as Promise<OperationsStatusDto['competitions'][]>,
    ]);
    return {
      generatedAt: now.toISOString(),
      queues,
      unfinished,
      stuck: stuck[0]!.n,
      running: running[0]!,
      gpu: { weekStart: gpu.weekStart.toISOString(), usedHours: gpu.usedHours, teams: gpu.teams },
      competitions: competitions[0]!,
    };
  }
}
