import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig, type Competition, KernelPolicy } from '@holdout/db';
import { AuditService } from '../audit/audit.service.js';
import { DomainError, notFound } from '../../common/domain-error.js';
import { parseWith } from '../../common/zod-body.js';
import type { Principal } from '../auth/principal.js';
import { UNCHARGED_GPU_FAILURE_CLASSES, UNCHARGED_RUN_OUTCOMES, gpuReservationSeconds, gpuWeek } from '@holdout/rules';

// The one rule of what a GPU run counts (libs/rules `countsTowardGpuBudget`), in SQL over
// `kernel_runs r`, shared by the week's usage and the reservations of unfinished kernels.
/** A run's counted milliseconds: its duration once finished, else the time from its start to `now` (a parameter). */
const countedMs = (now: string) => `COALESCE(r.duration_ms, GREATEST(0, EXTRACT(EPOCH FROM (${now}::timestamptz - r.started_at)) * 1000))`;
/** A run whose outcome is charged (`outcomes`: the parameter holding UNCHARGED_RUN_OUTCOMES). */
const chargedRun = (outcomes: string) => `(r.outcome IS NULL OR r.outcome <> ALL(${outcomes}))`;

export interface EffectivePolicy {
  gpuHoursPerWeek: number;
  cpuFallback: boolean;
}

const policySchema = z.strictObject({
  gpuHoursPerWeek: z.number().min(0).max(10_000).nullable().optional(),
  cpuFallback: z.boolean().nullable().optional(),
});

/** Instructor overrides of the kernel defaults: competition row, then course row, then the environment. */
@Injectable()
export class KernelPolicies {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async effective(c: Pick<Competition, 'id' | 'courseId'>, m: EntityManager = this.ds.manager): Promise<EffectivePolicy> {
    const rows = await m.getRepository(KernelPolicy).find({ where: [{ competitionId: c.id }, ...(c.courseId ? [{ courseId: c.courseId }] : [])] });
    const comp = rows.find((r) => r.competitionId === c.id);
    const course = rows.find((r) => r.courseId !== null && r.courseId === c.courseId);
    return {
      gpuHoursPerWeek: comp?.gpuHoursPerWeek ?? course?.gpuHoursPerWeek ?? this.config.kernels.gpuHoursPerWeek,
      cpuFallback: comp?.cpuFallback ?? course?.cpuFallback ?? false,
    };
  }

  /** GPU hours the team used this week (see `gpuWeek` for what counts). */
  async gpuUsage(teamId: string, now = new Date(), m: EntityManager = this.ds.manager): Promise<{ usedHours: number; resetsAt: Date }> {
    const { usedHours, resetsAt } = await this.weekGpuUsage(now, teamId, m);
    return { usedHours, resetsAt };
  }

  /**
   * GPU hours the team's queued and running GPU kernels may still use (`gpuReservationSeconds`:
   * their runs' time limits, less what those runs have counted so far), held against the budget
   * at admission so that kernels queued together cannot overshoot it.
   */
  async gpuReservedHours(teamId: string, timeLimitSeconds: number, now = new Date(), m: EntityManager = this.ds.manager): Promise<number> {
    const rows: { run_only: boolean; ms: string }[] = await m.query(
      `SELECT s.run_only, COALESCE(sum(${countedMs('$2')}), 0) AS ms
         FROM submissions s JOIN kernel_submissions k ON k.submission_id = s.id
         LEFT JOIN kernel_runs r ON r.submission_id = s.id AND r.gpu IS NOT NULL AND r.started_at IS NOT NULL AND ${chargedRun('$3')}
        WHERE s.team_id = $1 AND k.gpu AND s.status IN ('queued', 'running')
        GROUP BY s.id, s.run_only`,
      [teamId, now, [...UNCHARGED_RUN_OUTCOMES]],
    );
    const seconds = rows.reduce((sum, r) => sum + gpuReservationSeconds({ runOnly: r.run_only, timeLimitSeconds, countedSeconds: Number(r.ms) / 1000 }), 0);
    return seconds / 3600;
  }

  /**
   * GPU hours counted against the budgets this week — one team's, or every team's with how many
   * teams used any — by the one rule (`gpuWeek`; a running run counts up to `now`).
   */
  async weekGpuUsage(now = new Date(), teamId: string | null = null, m: EntityManager = this.ds.manager): Promise<{ usedHours: number; teams: number; weekStart: Date; resetsAt: Date }> {
    const week = gpuWeek(now);
    const r: { ms: string | null; teams: number }[] = await m.query(
      `SELECT sum(${countedMs('$2')}) AS ms, count(DISTINCT s.team_id)::int AS teams
         FROM kernel_runs r JOIN submissions s ON s.id = r.submission_id
        WHERE ($5::uuid IS NULL OR s.team_id = $5) AND r.gpu IS NOT NULL AND r.started_at >= $1 AND r.started_at < $2::timestamptz + interval '1 day'
          AND ${chargedRun('$3')} AND COALESCE(s.error_class, '') <> ALL($4)`,
      [week.start, now, [...UNCHARGED_RUN_OUTCOMES], [...UNCHARGED_GPU_FAILURE_CLASSES], teamId],
    );
    return { usedHours: Number(r[0]?.ms ?? 0) / 3_600_000, teams: r[0]?.teams ?? 0, weekStart: week.start, resetsAt: week.end };
  }

  /** Sets (or with null clears) a competition's or course's overrides, audited. Instructor checks are the caller's. */
  async set(scope: { competitionId: string } | { courseId: string }, input: unknown, actorId: string): Promise<KernelPolicy> {
    const body = parseWith(policySchema, input);
    return this.ds.transaction(async (m) => {
      const repo = m.getRepository(KernelPolicy);
      const where = 'competitionId' in scope ? { competitionId: scope.competitionId } : { courseId: scope.courseId };
      const existing = await repo.findOne({ where });
      const row = existing ?? repo.create({ competitionId: null, courseId: null, gpuHoursPerWeek: null, cpuFallback: null, ...where });
      const before = { gpuHoursPerWeek: row.gpuHoursPerWeek, cpuFallback: row.cpuFallback };
      if (body.gpuHoursPerWeek !== undefined) row.gpuHoursPerWeek = body.gpuHoursPerWeek;
      if (body.cpuFallback !== undefined) row.cpuFallback = body.cpuFallback;
      const saved = await repo.save(row);
      const after = { gpuHoursPerWeek: saved.gpuHoursPerWeek, cpuFallback: saved.cpuFallback };
      await this.audit.record(
        'competitionId' in scope
          ? { actorId, action: 'competition.kernel-policy', competitionId: scope.competitionId, subjectType: 'competition', subjectId: scope.competitionId, data: { before, after } }
          : { actorId, action: 'course.kernel-policy', subjectType: 'course', subjectId: scope.courseId, data: { courseId: scope.courseId, before, after } },
        m,
      );
      return saved;
    });
  }

  /** A course's own policy row, if it has one. */
  async courseOverrides(courseId: string): Promise<KernelPolicy | null> {
    return this.ds.getRepository(KernelPolicy).findOne({ where: { courseId } });
  }

  async assertCourseInstructor(p: Principal, courseId: string): Promise<void> {
    await this.assertCourseRole(p, courseId, ['instructor']);
  }

  /** The course staff (TAs read what instructors set). */
  async assertCourseStaff(p: Principal, courseId: string): Promise<void> {
    await this.assertCourseRole(p, courseId, ['instructor', 'ta']);
  }

  private async assertCourseRole(p: Principal, courseId: string, roles: readonly string[]): Promise<void> {
    if (p.isAdmin) return;
    const rows: { role: string }[] = await this.ds.query('SELECT role FROM memberships WHERE user_id = $1 AND course_id = $2', [p.userId, courseId]);
    if (!rows[0]) throw notFound('course');
    if (!roles.includes(rows[0].role)) throw new DomainError('forbidden', roles.includes('ta') ? 'only the course staff can see this' : 'only the course instructor can do this');
  }
}
