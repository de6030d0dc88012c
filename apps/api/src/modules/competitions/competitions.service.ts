import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, ArtifactFiles, buildDataJobOptions, Competition, HOLDS_REVEAL_SQL, JOBS, JsonLogger, EventPublisher, Notifier } from '@holdout/db';
import { closeChangeProblem, freezeStartsAt, kernelSettingsOf, type CompetitionKernelSettings, mergeDeadlineFollowingClose, quotaDay, submissionKindsProblem, timelineProblem, UNFINISHED_STATUSES } from '@holdout/rules';
import type { BundleDto, CompetitionDto, CompetitionSummaryDto, ModelPipelineDto, SubmissionKind } from '@holdout/contracts';
import { BUNDLE_LIMITS, SUBMISSION_KINDS, pagesForSlug, perImagePublicOf } from '@holdout/competition';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { UploadInterceptor, type UploadInput } from '../../common/upload.interceptor.js';
import { DomainError, forbidden } from '../../common/domain-error.js';
import { parseWith } from '../../common/zod-body.js';
import { Queues } from '../../infra/infra.module.js';
import type { Principal } from '../auth/principal.js';
import { AuditService } from '../audit/audit.service.js';
import { CoursesService } from '../courses/courses.service.js';
import { SubmissionsRepository } from '../submissions/submissions.repository.js';
import { CompetitionBundles, type BundleCompetition } from './bundles.js';
import { CompetitionAccess, isRevealed, stateOf } from './competition-access.service.js';
import { boardSettingsOf, maxTeamSizeOf } from './settings.js';

const createSchema = z.strictObject({
  bundle: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'a bundled competition name'),
  slug: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).max(100).optional(),
  title: z.string().trim().min(1).max(200).optional(),
  courseId: z.string().uuid(),
  visibility: z.enum(['course', 'public']).default('course'),
  opensAt: z.iso.datetime({ offset: true }).optional(),
  closesAt: z.iso.datetime({ offset: true }).optional(),
});

const MiB = 1024 * 1024;
const page = z.string().max(BUNDLE_LIMITS.pageBytes, 'at most 1 MB of Markdown');
/**
 * `PATCH /api/competitions/:slug`: the timeline and the settings an instructor may change after
 * creation; unknown fields are refused by name. (Submission kinds are not here: which test images
 * are public depends on them, and the data is built once.)
 */
const editSchema = z
  .strictObject({
    opensAt: z.iso.datetime({ offset: true }).optional(),
    teamMergeDeadline: z.iso.datetime({ offset: true }).nullable().optional(),
    closesAt: z.iso.datetime({ offset: true }).optional(),
    title: z.string().trim().min(1).max(200).optional(),
    limits: z
      .strictObject({
        dailySubmissions: z.number().int().min(1).max(1000).optional(),
        finalSelections: z.number().int().min(1).max(20).optional(),
        maxTeamSize: z.number().int().min(1).max(50).optional(),
      })
      .optional(),
    feedback: z.strictObject({ perImagePublic: z.boolean().optional() }).optional(),
    leaderboard: z.strictObject({ anonymous: z.boolean().optional(), freezeDays: z.number().int().min(0).max(60).optional() }).optional(),
    submissionKinds: z.array(z.enum(SUBMISSION_KINDS)).max(SUBMISSION_KINDS.length).optional(),
    kernel: z
      .strictObject({
        timeLimitSeconds: z.number().int().min(60).max(72 * 3600).optional(),
        memoryBytes: z.number().int().min(256 * MiB).max(1024 ** 4).optional(),
        cpus: z.number().positive().max(256).optional(),
        gpus: z.number().int().min(0).max(16).optional(),
        processes: z.number().int().min(16).max(32_768).optional(),
        showHiddenDataLogs: z.boolean().optional(),
        publicRunsPerDay: z.number().int().min(1).max(1000).optional(),
      })
      .optional(),
    pages: z.strictObject({ overview: page.optional(), data: page.optional(), evaluation: page.optional(), rules: page.optional() }).optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'give at least one field to change');
const TIMELINE_KEYS = ['opensAt', 'teamMergeDeadline', 'closesAt'] as const;

/** What the generated limits section of a rules page states. */
export interface RulesLimits {
  daily: number;
  finals: number;
  teamSize: number;
  kinds: readonly SubmissionKind[];
  /** Whether a submission shows its per-image public scores before the reveal (`feedback.perImagePublic`). */
  perImagePublic: boolean;
  /** The competition's kernel settings (`kernelSettingsOf`), shown where it takes kernels. */
  kernel: Pick<CompetitionKernelSettings, 'publicRunsPerDay' | 'showHiddenDataLogs' | 'timeLimitSeconds' | 'cpus' | 'memoryBytes' | 'gpus' | 'processes' | 'outputLimitBytes'>;
  /** The model pipeline, where the competition takes models. */
  model: ModelPipelineDto | null;
}

const limitsOf = (c: Pick<Competition, 'dailySubmissions' | 'finalSelections' | 'submissionKinds' | 'config'>): RulesLimits => ({
  daily: c.dailySubmissions,
  finals: c.finalSelections,
  teamSize: maxTeamSizeOf(c),
  kinds: c.submissionKinds,
  perImagePublic: perImagePublicOf(c.config),
  kernel: kernelSettingsOf(c.config),
  model: modelPipelineOf(c),
});

/** Bytes as GiB (or MiB under 1 GiB), to one decimal. */
const sizeText = (bytes: number) => (bytes >= 1024 ** 3 ? `${Math.round((bytes / 1024 ** 3) * 10) / 10} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`);
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
/** A time limit in hours (one decimal), or minutes under an hour. */
const durationText = (seconds: number) => (seconds >= 3600 ? `${Math.round((seconds / 3600) * 10) / 10} h` : `${Math.max(1, Math.round(seconds / 60))} min`);

/**
 * Written into the rules page of every competition, and written again whenever a setting it
 * states changes: the quota rule participants live by, what a submission discloses, how kernels
 * run. Bundle pages state none of these numbers and refer here instead.
 */
export const QUOTA_RULES = (l: RulesLimits) => {
  const testPublic = l.kinds.includes('file');
  const kernels = !l.kinds.includes('kernel')
    ? ''
    : `
### Kernel runs
- Every kernel submission runs first **over the public data only**${testPublic ? ' (here that includes every test image)' : ' (the training data and the few public test samples)'}.
  Your team sees that run's full log and the files it wrote in \`/kaggle/working\`, live.
${
  testPublic
    ? '- Its `submission.csv` is your submission and is scored: there is no second run.'
    : `- Only when it wrote a valid \`submission.csv\` (right columns, every public test image, valid runs) does
  the kernel run again **over the hidden test data**, where \`/kaggle/input\` holds the hidden test images and a
  \`sample_submission.csv\` listing them, and \`KAGGLE_IS_COMPETITION_RERUN\` is set. That run's output is scored.
  ${l.kernel.showHiddenDataLogs ? 'Its log is shown to your team too.' : 'Of that run you see only the result class (timeout, out of memory, exception, no submission file), as on Kaggle.'}`
}
- Each run has ${plural(l.kernel.cpus, 'CPU')}, ${sizeText(l.kernel.memoryBytes)} of memory (or what the kernel worker has, if less),
  ${l.kernel.gpus === 0 ? 'no GPU' : plural(l.kernel.gpus, 'GPU')}, at most ${l.kernel.processes} processes and **${durationText(l.kernel.timeLimitSeconds)}**, with **no internet access**; the file system is
  read-only except \`/tmp\` and \`/kaggle/working\`, whose outputs may take up to ${sizeText(l.kernel.outputLimitBytes)}.
- A kernel that **fails in its public run is not charged** to your daily
  submissions; one that fails in the run over the hidden data is. Failures on our side (the platform, the
  engine, a worker that stopped) and cancelled kernels are never charged; they are retried or marked as ours.
- Public runs have their own limit: **${l.kernel.publicRunsPerDay} per day** (UTC), counting kernel submissions and
  runs without submitting, except cancelled ones and failures on our side.
- "Run without submitting" does the public run only: its log and files, never a score or a charge.
- GPU time of every run counts against your team's weekly GPU budget, where the competition uses GPUs.
  A GPU kernel is accepted while the hours used plus those your queued and running GPU kernels may
  still use (their time limits) are under the budget; what they do not use is given back when they end.
`;
  return `${QUOTA_HEADING}
- You may make **${l.daily} submissions per day**. Days are UTC days (00:00–24:00 UTC).
- A submission counts against the day it was made unless it **failed validation** (the scorer
  rejected the file, e.g. unsorted runs or a missing image id), failed because of **our**
  infrastructure, or was cancelled. Queued, running, scored and kernel-failed submissions count.
- You may select up to **${l.finals} final submissions** for the private leaderboard. If you select
  none, your best ${l.finals} by public score are used.
- Submissions after the close are scored and shown to you, marked late, and never ranked.
${
  l.perImagePublic
    ? '- A scored submission shows its score **on each public test image**: which test images are public is not hidden here.'
    : '- A scored submission shows its public score only, and its score on each public test image after the reveal: until\n  then you are not told which test images are public.'
}
- The private leaderboard is revealed after the close, once every submission made before it has
  been scored (or has failed): one still being scored at the close waits for it and is on it.

### Teams
- You start as a team of one. Teams of up to **${l.teamSize}** merge on the Team tab (an invite by team
  name that the other team accepts, or your team's invite link) until the team merge deadline (or, without
  one, the close). A merged team may have at most the daily limit times the days the competition has run
  in submissions, counting both teams'. A merge keeps every submission and score; the merged team chooses
  its final submissions again.
- A member may leave a team only before it has submitted, and only until the merge deadline.
${kernels}${modelRules(l.model)}`;
};

/** How model submissions run, from the competition's pipeline (empty where it takes none). */
function modelRules(m: ModelPipelineDto | null): string {
  if (!m) return '';
  const mb = Math.round(m.maxSizeBytes / 1024 / 1024);
  const minutes = Math.round(m.timeLimitSeconds / 60);
  return `
### Model runs
- A model submission is an ONNX file (up to ${mb} MB), or a \`.tar\` of several whose probabilities are averaged (an
  ensemble). It is checked on upload — readable, the competition's input and output, ordinary operators only, no
  custom operator domains, no external data files — and a model that fails the check is refused at once, not charged.
- The platform runs it over **every test image**, public and hidden, through the pipeline on the Overview page; you
  see its progress, and only its scores come back. A run may take up to ${minutes} min.
- A model whose output holds NaN or has the wrong shape fails as an exception and, like a run that passes its time
  limit, **is charged**; failures on our side and cancelled runs are not.
`;
}

@Injectable()
export class CompetitionsService {
  constructor(
    private readonly ds: DataSource,
    private readonly access: CompetitionAccess,
    private readonly courses: CoursesService,
    private readonly bundles: CompetitionBundles,
    private readonly submissions: SubmissionsRepository,
    private readonly queues: Queues,
    private readonly audit: AuditService,
    private readonly events: EventPublisher,
    private readonly notifier: Notifier,
    private readonly files: ArtifactFiles,
    private readonly logger: JsonLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(p: Principal): Promise<CompetitionSummaryDto[]> {
    const qb = this.ds.getRepository(Competition).createQueryBuilder('c').orderBy('c.closesAt', 'DESC');
    if (!p.isAdmin) qb.where(`c.visibility = 'public' OR c.courseId IN (SELECT m.course_id FROM memberships m WHERE m.user_id = :uid)`, { uid: p.userId });
    const competitions = await qb.getMany();
    const activity = await this.activityForStaff(p, competitions);
    return competitions.map((c) => ({ ...toSummary(c), ...(activity.has(c.id) ? { activity: activity.get(c.id) } : {}) }));
  }

  /** Submission counts of the competitions the principal helps run (one query; nothing for participants). */
  private async activityForStaff(p: Principal, competitions: Competition[]): Promise<Map<string, NonNullable<CompetitionSummaryDto['activity']>>> {
    let ids = competitions.map((c) => c.id);
    if (!p.isAdmin) {
      const staffOf: { course_id: string }[] = await this.ds.query(`SELECT course_id FROM memberships WHERE user_id = $1 AND role IN ('instructor', 'ta')`, [p.userId]);
      const courses = new Set(staffOf.map((r) => r.course_id));
      ids = competitions.filter((c) => c.courseId !== null && courses.has(c.courseId)).map((c) => c.id);
    }
    if (ids.length === 0) return new Map();
    const rows: { id: string; teams: number; submissions: number; unfinished: number }[] = await this.ds.query(
      `SELECT competition_id AS id, count(DISTINCT team_id)::int AS teams, count(*)::int AS submissions,
              count(*) FILTER (WHERE status = ANY($2::text[]))::int AS unfinished
         FROM submissions WHERE competition_id = ANY($1::uuid[]) GROUP BY competition_id`,
      [ids, [...UNFINISHED_STATUSES]],
    );
    const byId = new Map(rows.map((r) => [r.id, { teams: r.teams, submissions: r.submissions, unfinished: r.unfinished }]));
    return new Map(ids.map((id) => [id, byId.get(id) ?? { teams: 0, submissions: 0, unfinished: 0 }]));
  }

  async get(p: Principal, slug: string): Promise<CompetitionDto> {
    const { c, role } = await this.access.visible(p, slug);
    const dto: CompetitionDto = {
      ...toSummary(c),
      pages: c.pages,
      limits: { dailySubmissions: c.dailySubmissions, finalSelections: c.finalSelections, maxTeamSize: maxTeamSizeOf(c) },
      feedback: { perImagePublic: perImagePublicOf(c.config) },
      leaderboard: { ...boardSettingsOf(c), freezesAt: freezeStartsAt({ opensAt: c.opensAt, closesAt: c.closesAt, freezeDays: boardSettingsOf(c).freezeDays })?.toISOString() ?? null },
      rleOrder: c.rleOrder,
      dataReady: c.dataStatus === 'ready',
      availableKinds: availableKindsOf(c),
      model: modelPipelineOf(c),
    };
    // Only members have a standing (the contract's `viewer`): a public competition's other visitors see it, they do not compete.
    if (!role) return dto;
    const teamId = await this.submissions.teamOf(c.id, p.userId);
    const now = new Date();
    const day = quotaDay(now);
    dto.viewer = {
      role,
      teamId,
      submissionsToday: teamId ? await this.submissions.chargedSince(teamId, day.start) : 0,
      quotaResetsAt: day.end.toISOString(),
    };
    return dto;
  }

  /** From a bundled competition (JSON body) or an uploaded bundle archive (multipart `bundle`, .tar.gz). */
  async create(p: Principal, { upload, body: json }: UploadInput<null>): Promise<CompetitionDto> {
    if (!upload) return this.createBundled(p, json);
    try {
      if (!upload.file) throw new DomainError('bad_request', 'attach the bundle (.tar.gz) in the `bundle` field');
      const { checkId, ...body } = parseWith(createSchema.omit({ bundle: true }).extend({ checkId: z.uuid().optional() }), upload.fields);
      await this.requireInstructor(p, body.courseId);
      const into = join(this.config.dataDir, 'bundles', randomUUID());
      // Unpacked and parsed in a child process with a small heap and a time limit (hostile input).
      const b = await this.files.withFile(upload.file.key, (archive) => this.bundles.inspectUpload({
        archive,
        into,
        maxTotalBytes: this.config.uploadLimitBytes * 4,
        now: new Date(),
        timeoutMs: this.config.bundleCheckTimeoutMs,
        logger: this.logger,
        // Followed by the uploader on GET /api/bundles/checks/:checkId/events (any API replica).
        onProgress: checkId ? (progress) => void this.events.bundleCheck({ checkId, userId: p.userId, progress }).catch(() => undefined) : undefined,
      }));
      // With a remote store the bundle goes there too, before the build job exists: the worker
      // that builds the data may be on another host.
      const bundleKey = this.files.inPlace ? null : `bundles/${basename(into)}/`;
      try {
        if (bundleKey) await this.files.putFolder(bundleKey, b.bundleDir);
        return await this.createFrom(p, { ...body, bundle: basename(b.bundleDir) }, b, bundleKey);
      } catch (err) {
        await rm(into, { recursive: true, force: true });
        if (bundleKey) await this.files.removeFolder(bundleKey).catch(() => undefined);
        throw err;
      }
    } finally {
      if (upload.file) await this.files.store.delete(upload.file.key);
    }
  }

  async createBundled(p: Principal, input: unknown): Promise<CompetitionDto> {
    return this.createFrom(p, parseWith(createSchema, input), null);
  }

  /** Bundled competitions to create from: for site admins and instructors of some course. */
  async listBundles(p: Principal): Promise<BundleDto[]> {
    if (!p.isAdmin && !(await this.courses.instructsAnyCourse(p.userId))) throw forbidden('only instructors can create competitions');
    return this.bundles.describeAll();
  }

  private async requireInstructor(p: Principal, courseId: string): Promise<void> {
    const role = p.isAdmin ? 'instructor' : await this.courses.roleIn(p.userId, courseId);
    if (role !== 'instructor') throw forbidden('only an instructor of the course can create competitions in it');
  }

  private async createFrom(p: Principal, body: z.output<typeof createSchema>, uploaded: BundleCompetition | null, bundleKey: string | null = null): Promise<CompetitionDto> {
    await this.requireInstructor(p, body.courseId);
    let b;
    if (uploaded) b = uploaded;
    else {
      const available = await this.bundles.list();
      if (!available.includes(body.bundle)) throw new DomainError('not_found', `no bundled competition "${body.bundle}" (available: ${available.join(', ')})`);
      b = await this.bundles.load(body.bundle, new Date());
    }
    const slug = body.slug ?? body.bundle;
    if (await this.ds.getRepository(Competition).exists({ where: { slug } })) throw new DomainError('conflict', `a competition "${slug}" exists already`);
    const opensAt = body.opensAt ? new Date(body.opensAt) : b.opensAt;
    const closesAt = body.closesAt ? new Date(body.closesAt) : b.closesAt;
    if (closesAt <= opensAt) throw new DomainError('bad_request', 'closesAt must be after opensAt');
    const c = await this.ds.getRepository(Competition).save(
      this.ds.getRepository(Competition).create({
        slug,
        courseId: body.courseId,
        visibility: body.visibility,
        title: body.title ?? b.title,
        metric: b.metric,
        rleOrder: b.rleOrder,
        submissionKinds: b.submissionKinds,
        opensAt,
        teamMergeDeadline: b.teamMergeDeadline,
        closesAt,
        dailySubmissions: b.dailySubmissions,
        finalSelections: b.finalSelections,
        // The data scale is fixed now, so the seed and every worker build the same data.
        config: { ...b.config, dataScale: this.config.dataScale },
        // Pages name the input path of the slug the competition has, not the bundle's.
        pages: pagesForSlug({ ...b.pages, rules: b.pages.rules + QUOTA_RULES(limitsOf(b)) }, { bundleSlug: typeof b.config.slug === 'string' ? b.config.slug : body.bundle, slug }),
        bundleDir: b.bundleDir,
        bundleKey,
        dataDir: null,
        publicDir: null,
        dataStatus: 'pending',
        currentSolutionVersionId: null,
        revealedAt: null,
        createdById: p.userId,
      }),
    );
    await this.audit.record({ actorId: p.userId, action: 'competition.create', competitionId: c.id, subjectType: 'competition', subjectId: c.id, data: { bundle: body.bundle } });
    await this.queues.maintenance.add(JOBS.buildData, { competitionId: c.id }, buildDataJobOptions(c.id));
    await this.scheduleReveal(c);
    return this.get(p, slug);
  }

  /** The reveal job fires at closesAt and reveals once the submissions made before it are scored (the reconciler also reveals what is due). */
  async scheduleReveal(c: Pick<Competition, 'id' | 'closesAt'>): Promise<void> {
    const delay = Math.max(0, c.closesAt.getTime() - Date.now());
    await this.queues.maintenance.add(JOBS.reveal, { competitionId: c.id }, { jobId: revealJobId(c), delay, removeOnComplete: true, removeOnFail: 100, attempts: 5, backoff: { type: 'exponential', delay: 2000 } });
  }

  /**
   * An instructor of the course (or a site admin) moves the timeline. Rules: opensAt <
   * teamMergeDeadline ≤ closesAt (no merge deadline: opensAt < closesAt); the close of a
   * competition that has closed (or been revealed) is final; a new close lies in the future (to
   * close now there is `POST …/close`). The reveal job follows the new close.
   */
  async edit(p: Principal, slug: string, input: unknown): Promise<CompetitionDto> {
    const { id } = await this.access.instructor(p, slug);
    const body = parseWith(editSchema, input);
    const timelineChanges = TIMELINE_KEYS.some((k) => body[k] !== undefined);
    const change = await this.ds.transaction(async (m) => {
      // Checked against the locked row, not the cache: a reveal or another edit may have just landed.
      await m.query('SELECT id FROM competitions WHERE id = $1 FOR UPDATE', [id]);
      const c = await m.getRepository(Competition).findOneByOrFail({ id });
      const now = new Date();
      const opensAt = body.opensAt !== undefined ? new Date(body.opensAt) : c.opensAt;
      const closesAt = body.closesAt !== undefined ? new Date(body.closesAt) : c.closesAt;
      // A merge deadline not named follows a moved close (with a note saying so).
      const followed = body.teamMergeDeadline === undefined ? mergeDeadlineFollowingClose({ before: c, closesAt, opensAt }) : null;
      const next = {
        opensAt,
        teamMergeDeadline: followed ? followed.teamMergeDeadline : body.teamMergeDeadline === null || body.teamMergeDeadline === undefined ? null : new Date(body.teamMergeDeadline),
        closesAt,
      };
      const closesAtMoves = next.closesAt.getTime() !== c.closesAt.getTime();
      const closeProblem = closeChangeProblem({ current: c.closesAt, next: next.closesAt, revealed: c.revealedAt !== null, now });
      if (closeProblem === 'final') {
        throw new DomainError('conflict', `the competition closed at ${c.closesAt.toISOString()}${c.revealedAt ? ' and its private leaderboard is revealed' : ''}; its close can no longer move`);
      }
      if (closeProblem === 'past') throw new DomainError('bad_request', 'closesAt must be in the future (POST /api/competitions/:slug/close closes the competition now)');
      const problem = timelineProblem(next);
      if (problem) throw new DomainError('bad_request', problem);
      const settings = settingsChange(c, body);
      const repo = m.getRepository(Competition);
      await repo.update({ id }, { ...next, ...settings.update } as Parameters<typeof repo.update>[1]); // (jsonb config: TypeORM's deep-partial type is too narrow)
      const iso = (t: { opensAt: Date; teamMergeDeadline: Date | null; closesAt: Date }) => ({ opensAt: t.opensAt.toISOString(), teamMergeDeadline: t.teamMergeDeadline?.toISOString() ?? null, closesAt: t.closesAt.toISOString() });
      if (timelineChanges) await this.audit.record({ actorId: p.userId, action: 'competition.timeline', competitionId: id, subjectType: 'competition', subjectId: id, data: { before: iso(c), after: iso(next) } }, m);
      if (settings.changed) await this.audit.record({ actorId: p.userId, action: 'competition.settings', competitionId: id, subjectType: 'competition', subjectId: id, data: { before: settings.before, after: settings.after } }, m);
      return { before: c, after: { ...c, ...next } as Competition, closesAtMoves, notes: followed?.note ? [followed.note] : [] };
    });
    this.access.invalidate(slug);
    if (change.closesAtMoves) {
      await this.scheduleReveal(change.after);
      // The job for the old close would find closes_at in the future and do nothing; remove it anyway.
      await this.queues.maintenance.remove(revealJobId(change.before)).catch(() => 0);
    }
    await this.events.competitionChanged(id);
    const dto = await this.get(p, slug);
    return change.notes.length > 0 ? { ...dto, notes: change.notes } : dto;
  }

  /**
   * An instructor closes the competition now. The private leaderboard is revealed at once when no
   * submission made before the close is still being scored; otherwise the worker's reveal job
   * reveals it as soon as they all are (the rule of every reveal: HOLDS_REVEAL_SQL).
   */
  async closeNow(p: Principal, slug: string): Promise<CompetitionDto> {
    const c = await this.access.instructor(p, slug);
    if (c.revealedAt) throw new DomainError('conflict', 'the competition is closed and revealed already');
    const now = new Date();
    // Closing before the opening would leave a close before the opening and a board revealed before anyone could submit.
    if (now < c.opensAt) throw new DomainError('conflict', `the competition has not opened yet (it opens at ${c.opensAt.toISOString()}); move its timeline instead`);
    const closesAt = c.closesAt < now ? c.closesAt : now;
    // Team merges end with the competition: a merge deadline after the new close comes to it
    // (left later, it would contradict the timeline and every later edit would be refused).
    const teamMergeDeadline = c.teamMergeDeadline && c.teamMergeDeadline > closesAt ? closesAt : c.teamMergeDeadline;
    const revealed = await this.ds.transaction(async (m) => {
      await m.getRepository(Competition).update({ id: c.id }, { closesAt, teamMergeDeadline });
      const [rows] = (await m.query(
        `UPDATE competitions c SET revealed_at = $2 WHERE c.id = $1 AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.competition_id = c.id AND ${HOLDS_REVEAL_SQL}) RETURNING c.id`,
        [c.id, now],
      )) as [unknown[], number];
      await this.audit.record({ actorId: p.userId, action: 'competition.close', competitionId: c.id, subjectType: 'competition', subjectId: c.id, data: { previousClosesAt: c.closesAt.toISOString(), ...(teamMergeDeadline !== c.teamMergeDeadline ? { previousTeamMergeDeadline: c.teamMergeDeadline!.toISOString() } : {}) } }, m);
      return rows.length > 0;
    });
    this.access.invalidate(slug);
    await this.events.competitionChanged(c.id);
    if (revealed) await this.notifier.toParticipants(this.ds.manager, c.id, { kind: 'reveal', title: `The private leaderboard of ${c.title} is out`, link: `/competitions/${c.slug}/leaderboard?split=private` });
    else await this.scheduleReveal({ id: c.id, closesAt });
    return this.get(p, slug);
  }
}

/** One reveal job per (competition, close): moving the close schedules a new one. */
export const revealJobId = (c: Pick<Competition, 'id' | 'closesAt'>) => `reveal_${c.id}_${c.closesAt.getTime()}`;

export function toSummary(c: Competition, now = new Date()): CompetitionSummaryDto {
  return {
    slug: c.slug,
    title: c.title,
    courseId: c.courseId,
    metric: c.metric,
    submissionKinds: c.submissionKinds,
    opensAt: c.opensAt.toISOString(),
    teamMergeDeadline: c.teamMergeDeadline?.toISOString() ?? null,
    closesAt: c.closesAt.toISOString(),
    state: stateOf(c, now),
    revealed: isRevealed(c, now),
  };
}

const QUOTA_HEADING = '\n\n## Submission limits\n';

/**
 * The row update for the settings part of a PATCH, with what the audit keeps (only the fields
 * the request names, before and after). The rules page's generated quota section follows the
 * limits; kernel settings apply only where the competition takes kernels.
 */
/** The competition's model pipeline, where it takes models (the validated `model:` section, public by design). */
function modelPipelineOf(c: Pick<Competition, 'config' | 'submissionKinds'>): ModelPipelineDto | null {
  const m = (c.config as { model?: ModelPipelineDto & { format?: string } }).model;
  if (!m || !c.submissionKinds.includes('model')) return null;
  const { format: _format, ...pipeline } = m;
  return pipeline;
}

/** The kinds the competition's bundle offers (what an instructor may turn on): its `submissions.kinds`, as offered today. */
export function availableKindsOf(c: Pick<Competition, 'config' | 'submissionKinds'>): SubmissionKind[] {
  const listed = (c.config.submissions as { kinds?: unknown } | undefined)?.kinds;
  const kinds = Array.isArray(listed) ? listed : c.submissionKinds;
  return SUBMISSION_KINDS.filter((k) => kinds.includes(k));
}

function settingsChange(c: Competition, body: z.output<typeof editSchema>): { update: Partial<Competition>; changed: boolean; before: Record<string, unknown>; after: Record<string, unknown> } {
  const update: Partial<Competition> = {};
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  const config = { ...c.config } as Record<string, unknown>;
  if (body.title !== undefined) [before.title, after.title, update.title] = [c.title, body.title, body.title];
  const daily = body.limits?.dailySubmissions ?? c.dailySubmissions;
  const finals = body.limits?.finalSelections ?? c.finalSelections;
  if (body.limits) {
    const teamSize = body.limits.maxTeamSize ?? maxTeamSizeOf(c);
    before.limits = { dailySubmissions: c.dailySubmissions, finalSelections: c.finalSelections, maxTeamSize: maxTeamSizeOf(c) };
    after.limits = { dailySubmissions: daily, finalSelections: finals, maxTeamSize: teamSize };
    update.dailySubmissions = daily;
    update.finalSelections = finals;
    // Teams larger than a lowered limit stay as they are; they cannot grow.
    if (body.limits.maxTeamSize !== undefined) config.limits = { ...(config.limits as object | undefined), maxTeamSize: teamSize };
  }
  if (body.leaderboard) {
    before.leaderboard = config.leaderboard ?? {};
    config.leaderboard = { ...(config.leaderboard as object | undefined), ...body.leaderboard };
    after.leaderboard = config.leaderboard;
  }
  if (body.feedback) {
    before.feedback = config.feedback ?? {};
    config.feedback = { ...(config.feedback as object | undefined), ...body.feedback };
    after.feedback = config.feedback;
  }
  const kinds = body.submissionKinds ? [...new Set(body.submissionKinds)] : c.submissionKinds;
  if (body.submissionKinds) {
    const problem = submissionKindsProblem({ requested: kinds, available: availableKindsOf(c) });
    if (problem) throw new DomainError('bad_request', problem);
    [before.submissionKinds, after.submissionKinds, update.submissionKinds] = [c.submissionKinds, kinds, kinds];
  }
  if (body.kernel) {
    if (!kinds.includes('kernel')) throw new DomainError('bad_request', `kernel: ${c.slug} takes no kernel submissions`);
    before.kernel = config.kernel ?? {};
    config.kernel = { ...(config.kernel as object | undefined), ...body.kernel };
    after.kernel = config.kernel;
  }
  if (body.feedback || body.kernel || body.leaderboard || body.limits?.maxTeamSize !== undefined) update.config = config;
  if (body.pages || body.limits || body.kernel || body.submissionKinds || body.feedback) {
    const pages = { ...c.pages, ...body.pages };
    // The rules the instructor wrote, then the generated section for the limits in force.
    const rules = (body.pages?.rules ?? c.pages.rules).split(QUOTA_HEADING)[0]!;
    pages.rules = rules + QUOTA_RULES(limitsOf({ dailySubmissions: daily, finalSelections: finals, submissionKinds: kinds, config }));
    if (body.pages) [before.pages, after.pages] = [Object.fromEntries(Object.keys(body.pages).map((k) => [k, c.pages[k as keyof typeof c.pages]])), body.pages];
    update.pages = pages;
  }
  return { update, changed: Object.keys(after).length > 0, before, after };
}

/**
 * A competition from an uploaded bundle (multipart `bundle`), or JSON for a bundled one. Who may
 * create it depends on the course named in the fields, so that is checked after parsing (the
 * service removes the archive when it refuses); the upload limits hold meanwhile.
 */
@Injectable()
export class BundleUploadInterceptor extends UploadInterceptor<null> {
  protected readonly field = 'bundle';
  protected override readonly jsonAllowed = true;

  protected async admit(): Promise<{ context: null; keyPrefix: string }> {
    return { context: null, keyPrefix: 'bundles/uploads' };
  }
}
