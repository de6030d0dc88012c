import { Inject, Injectable } from '@nestjs/common';
import { type ScoreJobData, type SubmissionDetailDto, type SubmissionDto } from '@holdout/contracts';
import { DataSource } from 'typeorm';
import { perImageFeedbackVisible } from '@holdout/competition';
import { selectionLimitCheck } from '@holdout/metrics';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig, type Competition, JOBS, JsonLogger, ARTIFACT_STORE, type ArtifactStore, scoreJobOptions, Submission, SubmissionLifecycle, EventPublisher } from '@holdout/db';
import { DomainError, notFound } from '../../common/domain-error.js';
import { parseWith } from '../../common/zod-body.js';
import { Queues } from '../../infra/infra.module.js';
import type { Principal } from '../auth/principal.js';
import { CompetitionAccess, isRevealed } from '../competitions/competition-access.service.js';
import { KernelSubmissions } from '../kernels/kernel-submissions.service.js';
import { ModelSubmissions } from './model-submissions.service.js';
import { SubmissionIntake, type Intake } from './submission-intake.js';
import type { SubmissionUploadInput } from './submission-upload.interceptor.js';
import { findForTeamOrStaff } from './team-or-staff.js';
import { toSubmissionDetailDto, toSubmissionDto } from './submission.mapper.js';
import { SubmissionsRepository } from './submissions.repository.js';

// Multipart fields of an upload; unknown ones are refused by name (a typo is not ignored).
const fieldsSchema = z.strictObject({
  kind: z.enum(['file', 'kernel', 'model']).default('file'),
  /** Kernels: the attached dataset's name (read by KernelSubmissions.prepare). */
  dataset: z.string().optional(),
  /** Kernels: "run without submitting" — the public run only, never scored or charged. */
  runOnly: z.enum(['true', 'false'], { error: 'expected true or false' }).optional().transform((v) => v === 'true'),
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
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly queues: Queues,
    private readonly events: EventPublisher,
    private readonly logger: JsonLogger,
    private readonly kernels: KernelSubmissions,
    private readonly models: ModelSubmissions,
    private readonly intake: SubmissionIntake,
    private readonly lifecycle: SubmissionLifecycle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The competition a submission to `slug` goes to, when it takes one now: visible to the
   * principal, open and with its data built. Checked before anything of the upload is stored.
   */
  async openFor(p: Principal, slug: string): Promise<Competition> {
    const { c, role } = await this.access.visible(p, slug);
    // A public competition is there to be seen by anyone; its course's members compete (and form teams).
    if (!role) throw new DomainError('forbidden', 'join the course to compete in this competition');
    if (new Date() < c.opensAt) throw new DomainError('competition_not_open', `submissions open at ${c.opensAt.toISOString()}`);
    if (c.dataStatus !== 'ready' || !c.currentSolutionVersionId) throw new DomainError('competition_not_ready', 'the competition data is still being prepared; try again shortly');
    return c;
  }

  /**
   * A parsed upload becomes a submission of its kind (a kernel: KernelSubmissions.submit), or is
   * refused and what was stored is removed: a refused upload leaves nothing and costs nothing.
   */
  async upload(p: Principal, { competition: c, upload }: SubmissionUploadInput): Promise<SubmissionDto> {
    try {
      const fields = parseWith(fieldsSchema, upload.fields);
      const file = upload.file;
      if (!file) throw new DomainError('bad_request', 'attach the prediction file in the `file` field');
      if (!c.submissionKinds.includes(fields.kind)) throw new DomainError('submission_kind_not_allowed', `this competition accepts ${c.submissionKinds.join(', ')} submissions`);
      if (fields.runOnly && fields.kind !== 'kernel') throw new DomainError('bad_request', 'runOnly: only a kernel can be run without submitting');
      // Stored with the upload, they would be kept by nothing: refused, and removed below.
      if (upload.attachments.length > 0 && fields.kind !== 'kernel') throw new DomainError('bad_request', `attachments: only a kernel takes attached files; send the ${fields.kind === 'model' ? 'model' : 'prediction file'} alone`);
      const intake = { kind: fields.kind, file, description: fields.description ?? null, cvScore: fields.cvScore, runOnly: fields.runOnly };
      const saved =
        fields.kind === 'kernel'
          ? await this.kernels.submit(p, c, upload, { ...intake, dataset: fields.dataset })
          : fields.kind === 'model'
            ? await this.models.submit(p, c, intake)
            : await this.submitFile(p, c, intake);
      const teamName = (await this.repo.findWithTeam(saved.id))!.teamName;
      return toSubmissionDto(saved, { slug: c.slug, teamName, revealed: isRevealed(c) });
    } catch (err) {
      if (upload.file) await this.store.delete(upload.file.key);
      for (const a of upload.attachments) await this.store.delete(a.key).catch(() => undefined);
      throw err;
    }
  }

  /** A prediction file: accepted under the quota, then a scoring job. */
  private async submitFile(p: Principal, c: Competition, intake: Intake): Promise<Submission> {
    const saved = await this.intake.accept(p, c, intake);
    // After the commit: a job never refers to a row that might roll back. If Redis is down the
    // row stays queued and the reconciler enqueues it later.
    const data: ScoreJobData = { submissionId: saved.id };
    await this.queues.scoring
      .add(JOBS.score, data, scoreJobOptions(saved.id))
      .catch((err: unknown) => this.logger.write('warn', 'enqueue failed; the reconciler will retry', { submissionId: saved.id, err: String(err) }));
    return saved;
  }

  /** A submission as its viewer may see it: its team's members and the course staff only. */
  async visibleTo(p: Principal, id: string): Promise<{ s: Submission; c: Competition; teamName: string; staff: boolean }> {
    const { row, c, role, staff } = await findForTeamOrStaff(this.repo, this.access, p, id);
    if (!staff && !role && c.visibility !== 'public') throw notFound('submission');
    return { s: row.s, c, teamName: row.teamName, staff };
  }

  /** The store key of the uploaded prediction file of a file submission (its team and the course staff; 404 otherwise). */
  async uploadedFileKey(p: Principal, id: string): Promise<string> {
    const { row } = await findForTeamOrStaff(this.repo, this.access, p, id);
    if (row.s.kind !== 'file' || !row.s.artifactPath) throw notFound('file');
    return row.s.artifactPath;
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

  /**
   * Final selection: only the team, only before the close, at most `finalSelections`. The course
   * staff, who see the submission, are told they may not; anyone else learns nothing of it.
   */
  async select(p: Principal, id: string, input: unknown): Promise<SubmissionDto> {
    const { selected } = parseWith(selectionSchema, input);
    const { row, c, staff } = await findForTeamOrStaff(this.repo, this.access, p, id);
    if (staff && !(await this.repo.isMember(row.s.teamId, p.userId))) throw new DomainError('forbidden', 'only the team chooses its final submissions');
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
