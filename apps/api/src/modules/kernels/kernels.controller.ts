import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { SubmissionDto } from '@holdout/contracts';
import { APP_CONFIG, type AppConfig } from '@holdout/db';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { CompetitionAccess } from '../competitions/competition-access.service.js';
import { SubmissionsRepository } from '../submissions/submissions.repository.js';
import { kernelRequestWarnings } from '@holdout/competition';
import { KernelHosts } from './kernel-hosts.service.js';
import { KernelPolicies } from './kernel-policies.service.js';
import { kernelSettingsOf } from '@holdout/rules';
import { KernelSubmissions } from './kernel-submissions.service.js';

export interface KernelPolicyDto {
  gpuHoursPerWeek: number;
  cpuFallback: boolean;
  /** What each run asks for (the competition's `kernel:` settings). */
  request: { cpus: number; memoryBytes: number; gpus: number; processes: number; timeLimitSeconds: number; showHiddenDataLogs: boolean; publicRunsPerDay: number };
  /** What no kernel worker online now gives, and what happens instead (empty: all is given). */
  warnings: string[];
  /** The viewer's team's GPU hours this week (null without a team). */
  usedGpuHours: number | null;
  weekResetsAt: string;
}

@ApiTags('kernels')
@Controller()
export class KernelsController {
  constructor(
    private readonly kernels: KernelSubmissions,
    private readonly policies: KernelPolicies,
    private readonly access: CompetitionAccess,
    private readonly repo: SubmissionsRepository,
    private readonly hosts: KernelHosts,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Cancels a queued or running kernel (its team or an instructor); not charged. */
  @Post('submissions/:id/cancel')
  @HttpCode(200)
  cancel(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<SubmissionDto> {
    return this.kernels.cancel(p, id);
  }

  /** Runs again a kernel that failed on our side (an instructor of the course); a fresh set of attempts. */
  @Post('submissions/:id/retry')
  @HttpCode(200)
  retry(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<SubmissionDto> {
    return this.kernels.retry(p, id);
  }

  /** The kernel limits in force and the viewer's GPU use this week. */
  @Get('competitions/:slug/kernel-policy')
  async policy(@CurrentUser() p: Principal, @Param('slug') slug: string): Promise<KernelPolicyDto> {
    const { c } = await this.access.visible(p, slug);
    const eff = await this.policies.effective(c);
    const teamId = await this.repo.teamOf(c.id, p.userId);
    const usage = teamId ? await this.policies.gpuUsage(teamId) : null;
    const k = kernelSettingsOf(c.config);
    const request = { cpus: k.cpus, memoryBytes: k.memoryBytes, gpus: k.gpus, processes: k.processes, timeLimitSeconds: k.timeLimitSeconds, showHiddenDataLogs: k.showHiddenDataLogs, publicRunsPerDay: k.publicRunsPerDay };
    const warnings = !c.submissionKinds.includes('kernel')
      ? []
      : !this.config.kernels.enabled
        ? ['Kernel runs are disabled on this server (HOLDOUT_KERNELS=off): kernel submissions are refused.']
        : kernelRequestWarnings(request, await this.hosts.online(), { cpuFallback: eff.cpuFallback });
    return { ...eff, request, warnings, usedGpuHours: usage?.usedHours ?? null, weekResetsAt: (usage?.resetsAt ?? new Date()).toISOString() };
  }

  /** Instructor: `{gpuHoursPerWeek?: number|null, cpuFallback?: boolean|null}` for this competition (null = inherit). */
  @Put('competitions/:slug/kernel-policy')
  async setCompetitionPolicy(@CurrentUser() p: Principal, @Param('slug') slug: string, @Body() body: unknown): Promise<KernelPolicyDto> {
    const c = await this.access.instructor(p, slug);
    await this.policies.set({ competitionId: c.id }, body, p.userId);
    return this.policy(p, slug);
  }

  /** Course staff: the course's own overrides (null: the site default); instructors change them. */
  @Get('courses/:id/kernel-policy')
  async coursePolicy(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<{ gpuHoursPerWeek: number | null; cpuFallback: boolean | null }> {
    await this.policies.assertCourseStaff(p, id);
    const row = await this.policies.courseOverrides(id);
    return { gpuHoursPerWeek: row?.gpuHoursPerWeek ?? null, cpuFallback: row?.cpuFallback ?? null };
  }

  /** Instructor: the same overrides for every competition of a course. */
  @Put('courses/:id/kernel-policy')
  async setCoursePolicy(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: unknown): Promise<{ gpuHoursPerWeek: number | null; cpuFallback: boolean | null }> {
    await this.policies.assertCourseInstructor(p, id);
    const row = await this.policies.set({ courseId: id }, body, p.userId);
    return { gpuHoursPerWeek: row.gpuHoursPerWeek, cpuFallback: row.cpuFallback };
  }
}
