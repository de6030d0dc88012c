import { Inject, Injectable } from '@nestjs/common';
import { type ScoreJobData, type SubmissionDetailDto, type SubmissionDto } from '@holdout/contracts';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { perImageFeedbackVisible } from '@holdout/competition';
import { selectionLimitCheck } from '@holdout/metrics';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig, type Competition, JOBS, JsonLogger, LocalArtifactStore, scoreJobOptions, Submission, SubmissionLifecycle, EventPublisher } from '@holdout/db';
import { quotaDay } from '@holdout/rules';
import { DomainError, notFound } from '../../common/domain-error.js';
import { parseWith } from '../../common/zod-body.js';
import { Queues } from '../../infra/infra.module.js';
import type { Principal } from '../auth/principal.js';
import { CompetitionAccess, isRevealed } from '../competitions/competition-access.service.js';
import { KernelSubmissions } from '../kernels/kernel-submissions.service.js';
import { parseUpload } from './multipart.js';
import { findForTeamOrStaff } from './team-or-staff.js';
import { toSubmissionDetailDto, toSubmissionDto } from './submission.mapper.js';
import { SubmissionsRepository } from './submissions.repository.js';

// Multipart fields of an upload; unknown ones are refused by name (a typo is not ignored).
const fieldsSchema = z.strictObject({
  kind: z.enum(['file', 'kernel', 'model']).default('file'),
  /** Kernels: the attached dataset's name (read by KernelSubmissions.prepare). */
  dataset: z.string().optional(),
  description: z.string().trim().max(1000).optional(),
  cvScore: z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return null;
      const n = Number(v);
      if (!Number.isFinite(n)) {
        ctx.addIssue({ code: 'custom', message: 'expected a number' });
        return z.NEVER;
      }
      return n;
    }),
});
const selectionSchema = z.strictObject({ selected: z.boolean() });

@Injectable()
export class SubmissionsService {
  constructor(
    private readonly ds: DataSource,
    private readonly access: CompetitionAccess,
    private readonly repo: SubmissionsRepository,
    private readonly store: LocalArtifactStore,
    private readonly queues: Queues,
    private readonly events: EventPublisher,
    private readonly logger: JsonLogger,
    private readonly kernels: KernelSubmissions,
    private readonly lifecycle: SubmissionLifecycle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async upload(p: Principal, slug: string, req: Request): Promise<SubmissionDto> {
    const { c } = await this.access.visible(p, slug);
    const now = new Date();
    if (now < c.opensAt) throw new DomainError('competition_not_open', `submissions open at ${c.opensAt.toISOString()}`);
    if (c.dataStatus !== 'ready' || !c.currentSolutionVersionId) throw new DomainError('competition_not_ready', 'the competition data is still being prepared; try again shortly');

    const upload = await parseUpload(req, this.store, `submissions/${c.id}`, this.config.uploadLimitBytes);
    try {
      const fields = parseWith(fieldsSchema, upload.fields);
      if (!upload.file) throw new DomainError('bad_request', 'attach the prediction file in the `file` field');
      // Nothing runs ONNX models yet: refuse before a row exists, so nothing is queued or charged.
      if (fields.kind === 'model') {
        throw new DomainError('submission_kind_not_allowed', `model (ONNX) submissions are not run by this platform yet; submit ${c.submissionKinds.filter((k) => k !== 'model').join(' or ') || 'a kernel or a prediction file'} instead`);
      }
      if (!c.submissionKinds.includes(fields.kind)) throw new DomainError('submission_kind_not_allowed', `this competition accepts ${c.submissionKinds.join(', ')} submissions`);
      // Nothing would take the job (HOLDOUT_KERNELS=off): refuse now rather than leave it queued.
      if (fields.kind === 'kernel' && !this.config.kernels.enabled) {
        throw new DomainError('kernels_disabled', `kernel runs are disabled on this server${c.submissionKinds.includes('file') ? '; submit a prediction file instead' : ''}`);
      }
      const file = upload.file;
      const kernel = fields.kind === 'kernel' ? await this.kernels.prepare(c, upload, upload.fields) : null;

      const saved = await this.ds.transaction(async (m) => {
        const teamId = await this.repo.ensureTeam(m, c.id, p.userId, p.displayName);
        // Serialises this team's uploads: the count and the insert see the same state.
        await this.repo.lockTeam(m, teamId);
        const day = quotaDay(now);
        const used = await this.repo.chargedSince(teamId, day.start, m);
        if (used >= c.dailySubmissions) {
          throw new DomainError('quota_exceeded', `you have used all ${c.dailySubmissions} submissions for today (UTC); more at ${day.end.toISOString()}`, { limit: c.dailySubmissions, used, resetsAt: day.end.toISOString() });
        }
        // The close as the database has it now (an instructor may just have closed early on
        // another replica), not as this process cached it.
        const [fresh] = (await m.query('SELECT closes_at FROM competitions WHERE id = $1', [c.id])) as { closes_at: Date }[];
        return this.lifecycle
          .accept(m, {
            competitionId: c.id,
            teamId,
            userId: p.userId,
            kind: fields.kind,
            description: fields.description ?? null,
            cvScore: fields.cvScore,
            fileName: file.fileName,
            artifactPath: file.key,
            checksum: file.sha256,
            sizeBytes: file.size,
            late: new Date() >= fresh!.closes_at,
          })
          .then(async (s) => {
            if (kernel) await this.kernels.admit(m, c, teamId, s.id, kernel, now);
            return s;
          });
      });
      // After the commit: a job never refers to a row that might roll back. If Redis is down
      // the row stays queued and the reconciler enqueues it later.
      await this.enqueue(saved).catch((err: unknown) => this.logger.write('warn', 'enqueue failed; the reconciler will retry', { submissionId: saved.id, err: String(err) }));
      const teamName = (await this.repo.findWithTeam(saved.id))!.teamName;
      return toSubmissionDto(saved, { slug: c.slug, teamName, revealed: isRevealed(c) });
    } catch (err) {
      if (upload.file) await this.store.remove(upload.file.key);
      await this.kernels.discard(upload);
      throw err;
    }
  }

  async enqueue(s: Pick<Submission, 'id' | 'kind'>): Promise<void> {
    if (s.kind === 'file') {
      const data: ScoreJobData = { submissionId: s.id };
      await this.queues.scoring.add(JOBS.score, data, scoreJobOptions(s.id));
    } else if (s.kind === 'kernel') {
      await this.kernels.enqueue(s.id);
    } else {
      // upload() refuses every other kind before a row exists; reaching here is a bug.
      throw new Error(`no queue runs ${s.kind} submissions`);
    }
  }

  /** A submission as its viewer may see it: its team's members and the course staff only. */
  async visibleTo(p: Principal, id: string): Promise<{ s: Submission; c: Competition; teamName: string; staff: boolean }> {
    const { row, c, role, staff } = await findForTeamOrStaff(this.repo, this.access, p, id);
    if (!staff && !role && c.visibility !== 'public') throw notFound('submission');
    return { s: row.s, c, teamName: row.teamName, staff };
  }

  async detail(p: Principal, id: string): Promise<SubmissionDetailDto> {
    const { s, c, teamName, staff } = await this.visibleTo(p, id);
    const revealed = isRevealed(c);
    return toSubmissionDetailDto(s, { slug: c.slug, teamName, revealed, perImage: perImageFeedbackVisible({ staff, revealed, config: c.config }) });
  }

  /** Every team's submissions, for the course staff (private scores still only after the reveal). */
  async all(p: Principal, slug: string): Promise<SubmissionDto[]> {
    const { c } = await this.access.staff(p, slug);
    const revealed = isRevealed(c);
    return (await this.repo.listForCompetition(c.id)).map((s) => toSubmissionDto(s, { slug: c.slug, teamName: s.team!.name, revealed }));
  }

  async mine(p: Principal, slug: string): Promise<SubmissionDto[]> {
    const { c } = await this.access.visible(p, slug);
    const teamId = await this.repo.teamOf(c.id, p.userId);
    if (!teamId) return [];
    const revealed = isRevealed(c);
    return (await this.repo.listForTeam(teamId)).map((s) => toSubmissionDto(s, { slug: c.slug, teamName: s.team!.name, revealed }));
  }

  /** Final selection: only the team, only before the close, at most `finalSelections`. */
  async select(p: Principal, id: string, input: unknown): Promise<SubmissionDto> {
    const { selected } = parseWith(selectionSchema, input);
    const row = await this.repo.findWithTeam(id);
    if (!row || !(await this.repo.isMember(row.s.teamId, p.userId))) throw notFound('submission');
    const c = row.s.competition!;
    if (new Date() >= c.closesAt) throw new DomainError('conflict', 'final selections are fixed once the competition has closed');
    const updated = await this.ds.transaction(async (m) => {
      await this.repo.lockTeam(m, row.s.teamId);
      const s = await m.getRepository(Submission).findOneOrFail({ where: { id } });
      if (selected) {
        if (s.status !== 'scored' || s.late) throw new DomainError('not_selectable', 'only scored, on-time submissions can be selected');
        const check = selectionLimitCheck({ currentlySelected: await this.repo.selectedIds(m, s.teamId), submissionId: s.id, limit: c.finalSelections });
        if (!check.allowed) throw new DomainError('selection_limit', check.message, { limit: c.finalSelections });
      }
      if (s.selected !== selected) await this.lifecycle.select(m, id, selected);
      return { ...s, selected } as Submission;
    });
    await this.events.competitionChanged(c.id);
    await this.events.submissionChanged(id, c.id);
    return toSubmissionDto(updated, { slug: c.slug, teamName: row.teamName, revealed: isRevealed(c) });
  }
}
