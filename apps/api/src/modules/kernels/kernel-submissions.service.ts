import { Inject, Injectable } from '@nestjs/common';
import { estimateWaitSeconds } from '@holdout/competition';
import { QUEUES, type KernelRunDto, type KernelRunPhase, type SubmissionDto, type SubmissionProgressDto } from '@holdout/contracts';
import { Redis } from 'ioredis';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, COUNTED_PUBLIC_RUNS_SQL, type AppConfig, type Competition, JsonLogger, type KernelAttachment, kernelChannels, kernelJobOptions, type KernelLogEvent, kernelRunKey, logFileLines, KernelSubmission, LIVE_JOB_STATES, ARTIFACT_STORE, type ArtifactStore, type Submission, SubmissionLifecycle, EventPublisher } from '@holdout/db';
import { DomainError, badRequest, notFound } from '../../common/domain-error.js';
import { readArtifact, readArtifactText } from '../../common/send-artifact.js';
import { Queues, REDIS } from '../../infra/infra.module.js';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { CompetitionAccess, isRevealed } from '../competitions/competition-access.service.js';
import { EventsBus } from '../events/events.bus.js';
import type { ParsedUpload } from '../submissions/multipart.js';
import { SubmissionIntake, type Intake } from '../submissions/submission-intake.js';
import { toSubmissionDto } from '../submissions/submission.mapper.js';
import { SubmissionsRepository } from '../submissions/submissions.repository.js';
import { findForTeamOrStaff } from '../submissions/team-or-staff.js';
import { KernelHosts } from './kernel-hosts.service.js';
import { KernelPolicies } from './kernel-policies.service.js';
import { KernelQueues } from './kernel-queues.js';
import { INPUT_NAME, checkKernelEntry, gpuBudgetAllows, UNFINISHED_STATUSES, kernelSettingsOf, logAccess, publicRunsLeft, quotaDay, routeKernel, type KernelEntryKind } from '@holdout/rules';

/** A kernel run's row as the log and file routes read it. */
interface RunRow {
  attempt: number;
  phase: KernelRunPhase;
  outcome: string | null;
  step: string;
  started_at: Date | null;
  finished_at: Date | null;
  duration_ms: number | null;
  log_path: string | null;
}

/** A kernel upload that passed validation, waiting to be written with its submission. */
export interface PreparedKernel {
  entryKind: KernelEntryKind;
  datasetName: string | null;
  attachments: KernelAttachment[];
  gpu: boolean;
  queue: string;
}

/**
 * Kernel submissions: admission (validation, routing, the weekly GPU budget), the queue hand-off,
 * cancel, and the log with its visibility rule. The generic upload path (SubmissionsService)
 * calls `prepare` and `admit`; the daily quota stays there.
 */
@Injectable()
export class KernelSubmissions {
  constructor(
    private readonly ds: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly queues: KernelQueues,
    private readonly policies: KernelPolicies,
    private readonly access: CompetitionAccess,
    private readonly repo: SubmissionsRepository,
    private readonly events: EventPublisher,
    private readonly bus: EventsBus,
    private readonly logger: JsonLogger,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hosts: KernelHosts,
    private readonly lifecycle: SubmissionLifecycle,
    private readonly intake: SubmissionIntake,
    private readonly audit: AuditService,
    private readonly jobs: Queues,
  ) {}

  /**
   * Where an unfinished kernel stands: its place among the kernels waiting for the same kind of
   * worker (oldest first, as the queue takes them) with a rough wait, or how long its current run
   * has been going. Null for other kinds and finished submissions. The caller has checked that
   * the viewer may see the submission; nothing here names another team.
   */
  async progress(id: string, c: Pick<Competition, 'id' | 'config'>): Promise<SubmissionProgressDto | null> {
    const [row] = (await this.ds.query(
      `SELECT s.status, s.created_at, s.run_phase, k.queue,
              (SELECT r.started_at FROM kernel_runs r WHERE r.submission_id = s.id ORDER BY r.attempt DESC, r.phase = 'hidden' DESC LIMIT 1) AS run_started_at
         FROM submissions s JOIN kernel_submissions k ON k.submission_id = s.id WHERE s.id = $1`,
      [id],
    )) as { status: string; created_at: Date; run_phase: KernelRunPhase | null; queue: string; run_started_at: Date | null }[];
    if (!row || !(UNFINISHED_STATUSES as readonly string[]).includes(row.status)) return null;
    const limitSeconds = kernelSettingsOf(c.config).timeLimitSeconds;
    if (row.status !== 'queued') {
      const started = row.run_started_at;
      return {
        phase: row.status as 'running' | 'scoring',
        run: row.status === 'running' ? row.run_phase : null,
        position: null,
        waiting: null,
        etaSeconds: null,
        startedAt: started?.toISOString() ?? null,
        elapsedSeconds: started ? Math.max(0, Math.round((Date.now() - started.getTime()) / 1000)) : null,
        limitSeconds,
      };
    }
    const [q] = (await this.ds.query(
      `SELECT count(*) FILTER (WHERE s.created_at < $2 OR (s.created_at = $2 AND s.id < $3)) AS ahead, count(*) AS waiting
         FROM submissions s JOIN kernel_submissions k ON k.submission_id = s.id WHERE s.status = 'queued' AND k.queue = $1`,
      [row.queue, row.created_at, id],
    )) as { ahead: string; waiting: string }[];
    const recent = (await this.ds.query(
      `SELECT r.duration_ms FROM kernel_runs r JOIN submissions s ON s.id = r.submission_id
        WHERE s.competition_id = $1 AND r.outcome = 'succeeded' AND r.duration_ms IS NOT NULL ORDER BY r.finished_at DESC LIMIT 20`,
      [c.id],
    )) as { duration_ms: number }[];
    const hosts = await this.hosts.online();
    const consumers = row.queue === QUEUES.kernelsGpu ? hosts.reduce((n, h) => n + h.gpus, 0) : hosts.length * this.config.kernels.concurrency;
    const position = Number(q!.ahead) + 1;
    return {
      phase: 'queued',
      run: null,
      position,
      waiting: Number(q!.waiting),
      etaSeconds: estimateWaitSeconds({ position, consumers, recentRunSeconds: recent.map((r) => r.duration_ms / 1000) }),
      startedAt: null,
      elapsedSeconds: null,
      limitSeconds,
    };
  }

  /**
   * The kernel branch of an upload, whole: checks the entry and attachments, accepts it under the
   * quota with what it asks to run (refused there when the GPU budget is used up), then enqueues
   * it. The caller removes the stored files when this throws.
   */
  async submit(p: Principal, c: Competition, upload: ParsedUpload, intake: Intake & { dataset?: string }): Promise<Submission> {
    // Nothing would take the job (HOLDOUT_KERNELS=off): refuse now rather than leave it queued.
    if (!this.config.kernels.enabled) {
      throw new DomainError('kernels_disabled', `kernel runs are disabled on this server${c.submissionKinds.includes('file') ? '; submit a prediction file instead' : ''}`);
    }
    const kernel = await this.prepare(c, upload, intake.dataset);
    const now = new Date();
    const saved = await this.intake.accept(p, c, intake, (m, s, teamId) => this.admit(m, c, teamId, s.id, kernel, now));
    // After the commit; if Redis is down the kernel sweeper enqueues it later.
    await this.enqueue(saved.id).catch((err: unknown) => this.logger.write('warn', 'enqueue failed; the sweeper will retry', { submissionId: saved.id, err: String(err) }));
    return saved;
  }

  /** Checks the entry file and attachments, and decides the queue. Throws 400s a student can act on. */
  private async prepare(c: Competition, upload: ParsedUpload, dataset: string | undefined): Promise<PreparedKernel> {
    const file = upload.file;
    if (!file) throw badRequest('attach the kernel (.py or .ipynb) in the `file` field');
    const entryName = file.fileName.replace(/^[0-9a-f-]{36}-/, '');
    const check = checkKernelEntry(entryName, await readArtifact(this.store, file.key, 'kernel'));
    if (!check.ok) throw badRequest(check.message);

    const total = upload.attachments.reduce((n, a) => n + a.size, 0);
    if (total > this.config.uploadLimitBytes) throw new DomainError('payload_too_large', `the attached files add up to more than ${Math.round(this.config.uploadLimitBytes / 1024 / 1024)} MB`);
    const names = new Set<string>();
    for (const a of upload.attachments) {
      if (!INPUT_NAME.test(a.fileName)) throw badRequest(`attached file name "${a.fileName}" must start with a letter or digit`);
      if (names.has(a.fileName)) throw badRequest(`attached file "${a.fileName}" appears twice`);
      names.add(a.fileName);
    }
    let datasetName: string | null = null;
    if (upload.attachments.length > 0) {
      datasetName = (dataset ?? '').trim() || 'attached';
      if (!INPUT_NAME.test(datasetName)) throw badRequest('dataset: 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit');
      if (datasetName === c.slug) throw badRequest(`dataset: "${datasetName}" is the competition's own data directory; pick another name`);
    } else if (dataset) {
      throw badRequest('dataset: attach files in the `attachments` field to name a dataset');
    }
    const settings = kernelSettingsOf(c.config);
    const policy = await this.policies.effective(c);
    const route = routeKernel({ gpusRequested: settings.gpus, cpuFallback: policy.cpuFallback });
    // A GPU kernel with no GPU worker online would wait in the queue without a word: say so now.
    if (route.gpu && !(await this.hosts.online()).some((h) => h.gpus > 0)) {
      throw new DomainError(
        'unavailable',
        `this competition's kernels ask for ${settings.gpus} GPU${settings.gpus === 1 ? '' : 's'} and no GPU worker is online; nothing was stored or charged. Try again later, or ask your instructor (they can let kernels fall back to the CPU)`,
        { gpusRequested: settings.gpus, gpuWorkersOnline: 0 },
      );
    }
    return {
      entryKind: check.kind,
      datasetName,
      attachments: upload.attachments.map((a) => ({ name: a.fileName, key: a.key, size: a.size, sha256: a.sha256 })),
      gpu: route.gpu,
      queue: route.queue,
    };
  }

  /**
   * Inside the upload's transaction, with the team row locked: refuses a GPU kernel when the
   * team's weekly GPU budget is used up, then records what the kernel asks to run.
   */
  private async admit(m: EntityManager, c: Competition, teamId: string, submissionId: string, k: PreparedKernel, now = new Date()): Promise<void> {
    // Every kernel starts with a public run, and those have their own daily limit.
    const perDay = kernelSettingsOf(c.config).publicRunsPerDay;
    const day = quotaDay(now);
    const [started] = (await m.query(`SELECT count(*) AS n FROM submissions s WHERE s.team_id = $1 AND s.created_at >= $2 AND s.id <> $3 AND ${COUNTED_PUBLIC_RUNS_SQL}`, [
      teamId,
      day.start,
      submissionId,
    ])) as { n: string }[];
    if (publicRunsLeft({ publicRunsPerDay: perDay, startedToday: Number(started!.n) }) === 0) {
      throw new DomainError('quota_exceeded', `your team has started all ${perDay} public kernel runs for today (UTC); more at ${day.end.toISOString()}`, {
        budget: 'public-runs',
        limit: perDay,
        used: Number(started!.n),
        resetsAt: day.end.toISOString(),
      });
    }
    if (k.gpu) {
      const policy = await this.policies.effective(c, m);
      const usage = await this.policies.gpuUsage(teamId, now, m);
      // This kernel's own row is not in kernel_submissions yet: only the others' reservations count.
      const reservedHours = await this.policies.gpuReservedHours(teamId, kernelSettingsOf(c.config).timeLimitSeconds, now, m);
      if (!gpuBudgetAllows({ usedHours: usage.usedHours, reservedHours, limitHours: policy.gpuHoursPerWeek })) {
        const held = reservedHours > 0 ? `, and its GPU kernels still queued or running may use ${reservedHours.toFixed(1)} more (held until they end)` : '';
        throw new DomainError(
          'quota_exceeded',
          `your team has used ${usage.usedHours.toFixed(1)} of its ${policy.gpuHoursPerWeek} GPU hours this week${held}; more at ${usage.resetsAt.toISOString()}`,
          { budget: 'gpu-hours', limitHours: policy.gpuHoursPerWeek, usedHours: usage.usedHours, reservedHours, resetsAt: usage.resetsAt.toISOString() },
        );
      }
    }
    await m.getRepository(KernelSubmission).insert({ submissionId, entryKind: k.entryKind, datasetName: k.datasetName, attachments: k.attachments, gpu: k.gpu, queue: k.queue });
  }

  /** Enqueues (idempotently: the job id is the submission id) on the queue chosen at admission. */
  async enqueue(submissionId: string): Promise<void> {
    const k = await this.ds.getRepository(KernelSubmission).findOne({ where: { submissionId } });
    if (!k) throw new Error(`submission ${submissionId} has no kernel record`);
    await this.queues.of(k.queue).add('run', { submissionId }, kernelJobOptions(submissionId));
  }

  /** Cancels a queued or running kernel or model: its team's members or an instructor. Not charged. */
  async cancel(p: Principal, id: string): Promise<SubmissionDto> {
    const row = await this.repo.findWithTeam(id);
    if (!row) throw notFound('submission');
    const c = row.s.competition!;
    const role = await this.access.roleOf(p, c);
    const member = await this.repo.isMember(row.s.teamId, p.userId);
    const what = row.s.kind === 'model' ? 'model' : 'kernel';
    if (!member && role !== 'instructor') {
      if (role === 'ta') throw new DomainError('forbidden', `only the team or an instructor can cancel a ${what}`);
      throw notFound('submission');
    }
    if (row.s.kind === 'file') throw new DomainError('conflict', 'only kernel and model submissions can be cancelled');
    const by = member ? 'your team' : 'an instructor';
    const cancelled = await this.lifecycle.cancel(id, `Cancelled by ${by}; not charged to your quota${what === 'kernel' ? ' or GPU budget' : ''}.`);
    if (!cancelled) throw new DomainError('conflict', `only a queued or running ${what} can be cancelled; this one is ${row.s.status}`);
    // The worker running it aborts on this message (and on its next check of the status if the message is lost).
    await this.redis.publish(kernelChannels.cancel(this.config.queuePrefix), id);
    const k = row.s.kind === 'kernel' ? await this.ds.getRepository(KernelSubmission).findOne({ where: { submissionId: id } }) : null;
    const queue = k ? this.queues.of(k.queue) : row.s.kind === 'model' ? this.jobs.models : null;
    const job = await queue?.getJob(id);
    if (job && (await job.getState()) !== 'active') await job.remove().catch(() => undefined);
    await this.events.submissionChanged(id, c.id);
    const s = (await this.repo.findWithTeam(id))!.s;
    return toSubmissionDto(s, { slug: c.slug, teamName: row.teamName, revealed: isRevealed(c) });
  }

  /**
   * An instructor runs again a kernel that failed on our side (`infrastructure`): it goes back to
   * the queue with a fresh set of attempts, and the team is told over its event stream. Audited.
   */
  async retry(p: Principal, id: string): Promise<SubmissionDto> {
    const row = await this.repo.findWithTeam(id);
    if (!row) throw notFound('submission');
    const c = row.s.competition!;
    const role = await this.access.roleOf(p, c);
    if (role !== 'instructor') {
      if (role === 'ta' || (await this.repo.isMember(row.s.teamId, p.userId))) throw new DomainError('forbidden', 'only an instructor of the course can run a kernel again');
      throw notFound('submission');
    }
    if (!this.config.kernels.enabled) throw new DomainError('kernels_disabled', 'kernel runs are disabled on this server; nothing would run it again');
    const retried = await this.ds.transaction(async (m) => {
      const done = await this.lifecycle.retry(id, m);
      if (done) await this.audit.record({ actorId: p.userId, action: 'submission.retry', competitionId: c.id, subjectType: 'submission', subjectId: id, data: { attempts: row.s.attempts } }, m);
      return done;
    });
    if (!retried) {
      const what = row.s.status === 'failed' ? `it failed with ${row.s.errorClass}` : `it is ${row.s.status}`;
      throw new DomainError('conflict', `only a kernel that failed on our side (infrastructure) can be run again; ${what}`);
    }
    // The failed job may still be kept by BullMQ under the same id: a new one replaces it.
    const k = await this.ds.getRepository(KernelSubmission).findOneOrFail({ where: { submissionId: id } });
    const old = await this.queues.of(k.queue).getJob(id);
    if (old && !LIVE_JOB_STATES.has(await old.getState())) await old.remove().catch(() => undefined);
    await this.enqueue(id).catch((err: unknown) => this.logger.write('warn', 'enqueue failed; the sweeper will retry', { submissionId: id, err: String(err) }));
    await this.events.submissionChanged(id, c.id);
    const s = (await this.repo.findWithTeam(id))!.s;
    return toSubmissionDto(s, { slug: c.slug, teamName: row.teamName, revealed: isRevealed(c) });
  }

  /** Which of a kernel's runs the viewer may read whole; throws not-found for anyone outside the team and staff. */
  async logAccessFor(p: Principal, id: string): Promise<{ of: (phase: KernelRunPhase) => 'full' | 'class-only'; competitionId: string }> {
    const { row, c, staff } = await findForTeamOrStaff(this.repo, this.access, p, id);
    if (row.s.kind !== 'kernel') throw notFound('log');
    const showHiddenDataLogs = kernelSettingsOf(c.config).showHiddenDataLogs;
    return { of: (phase) => logAccess({ staff, showHiddenDataLogs, phase }), competitionId: c.id };
  }

  /** The kernel's runs (the latest attempt's public run, then its hidden run), with what the viewer may read of each. */
  async runs(p: Principal, id: string): Promise<KernelRunDto[]> {
    const { of } = await this.logAccessFor(p, id);
    const rows = await this.runRows(id);
    return Promise.all(
      rows.map(async (r) => ({
        phase: r.phase,
        attempt: r.attempt,
        outcome: r.outcome,
        startedAt: r.started_at?.toISOString() ?? null,
        finishedAt: r.finished_at?.toISOString() ?? null,
        durationMs: r.duration_ms,
        logVisible: of(r.phase) === 'full',
        files: of(r.phase) === 'full' ? await this.filesOf(id, r) : [],
      })),
    );
  }

  private async runRows(id: string): Promise<RunRow[]> {
    return this.ds.query(
      `SELECT attempt, phase, outcome, step, started_at, finished_at, duration_ms, log_path FROM kernel_runs WHERE submission_id = $1 ORDER BY attempt, phase = 'hidden', created_at`,
      [id],
    );
  }

  /** The run a request names (`public` or `hidden`; default: the latest), of the latest attempt that has one. */
  private async runOf(id: string, phase: string | undefined): Promise<RunRow | null> {
    if (phase !== undefined && phase !== 'public' && phase !== 'hidden') throw badRequest('run must be public or hidden');
    const rows = (await this.runRows(id)).filter((r) => phase === undefined || r.phase === phase);
    return rows.at(-1) ?? null;
  }

  /** The files a run left in /kaggle/working (kept for public runs) and its submission.csv, as the store lists them. */
  private async filesOf(id: string, r: RunRow): Promise<{ name: string; size: number }[]> {
    const base = kernelRunKey(id, r.attempt, r.phase);
    if (r.phase === 'hidden') {
      for await (const o of this.store.list(`${base}/submission.csv`)) if (o.key === `${base}/submission.csv`) return [{ name: 'submission.csv', size: o.size }];
      return [];
    }
    const out: { name: string; size: number }[] = [];
    const working = `${base}/working/`;
    for await (const o of this.store.list(working)) out.push({ name: o.key.slice(working.length), size: o.size });
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The log of a run (as far as it has been written while it runs): `run` names it, else the
   * latest. A run the viewer may not read whole (a participant's run over hidden data where the
   * competition hides those logs) gives its result class only.
   */
  async log(p: Principal, id: string, run?: string): Promise<string> {
    const { of } = await this.logAccessFor(p, id);
    const r = await this.runOf(id, run);
    if (!r?.log_path) throw notFound('log');
    if (of(r.phase) === 'class-only') {
      const s: { status: string; error_class: string | null }[] = await this.ds.query('SELECT status, error_class FROM submissions WHERE id = $1', [id]);
      const what = r.outcome === null ? 'running' : (s[0]!.error_class ?? r.outcome);
      return `This run was over the hidden test data; its log is not shown to participants in this competition.\nResult: ${what}\n`;
    }
    return readArtifactText(this.store, r.log_path, 'log');
  }

  /**
   * The store key of a file a run left (`name`: `submission.csv` by default, or a path the run's
   * file list gives), for those who may read the run's log (its output is as revealing as its
   * log); others get 403 saying why, and 404 until there is one.
   */
  async outputKey(p: Principal, id: string, run?: string, name = 'submission.csv'): Promise<string> {
    const { of } = await this.logAccessFor(p, id);
    const r = await this.runOf(id, run);
    if (!r) throw notFound('output');
    if (of(r.phase) !== 'full') throw new DomainError('forbidden', 'this run was over the hidden test data; its output is not shown to participants in this competition');
    const base = kernelRunKey(id, r.attempt, r.phase);
    // Only names the run's own listing gives: never a key the request makes up.
    if (name === 'submission.csv' && (await this.store.exists(`${base}/submission.csv`))) return `${base}/submission.csv`;
    if (r.phase === 'public' && (await this.filesOf(id, r)).some((f) => f.name === name)) return `${base}/working/${name}`;
    throw notFound('output');
  }

  /**
   * Calls `send` with the kernel's log lines as its runs print them, of the runs the viewer may
   * read (participants of a competition that hides hidden-data logs: their public runs only); with
   * `replay`, first with every line the latest attempt's readable runs have printed so far (read
   * from their log files), then with the new ones: lines published while the files were read are
   * kept back and sent only past the end of what was read, so none is sent twice or missed.
   * Returns the unsubscribe.
   */
  async followLog(p: Principal, id: string, send: (line: string, run: KernelRunPhase, attempt: number, at: number) => void, replay = false): Promise<() => void> {
    const row = await this.repo.findWithTeam(id);
    if (!row || row.s.kind !== 'kernel') return () => undefined;
    const { of } = await this.logAccessFor(p, id);
    // Per run ("attempt:phase"): where the lines sent from its file end.
    const sentTo = new Map<string, number>();
    let held: KernelLogEvent[] | null = replay ? [] : null;
    const forward = (k: KernelLogEvent) => {
      const from = sentTo.get(`${k.attempt}:${k.run}`) ?? 0;
      k.lines.forEach((line, i) => k.at[i]! >= from && send(line, k.run, k.attempt, k.at[i]!));
    };
    const sub = this.bus.all().subscribe((e) => {
      const k = e as unknown as KernelLogEvent;
      if (k.type !== 'kernel-log' || k.submissionId !== id || of(k.run) !== 'full') return;
      if (held) held.push(k);
      else forward(k);
    });
    if (held) {
      try {
        const rows = await this.runRows(id);
        const latest = rows.filter((r) => r.attempt === rows.at(-1)?.attempt);
        for (const r of latest) {
          if (of(r.phase) !== 'full' || !r.log_path) continue;
          // Not written yet (the run is starting) or on another host's disk: its lines come live.
          const text = await readArtifactText(this.store, r.log_path, 'log').catch(() => null);
          if (text === null) continue;
          const { lines, at, end } = logFileLines(text, r.outcome !== null);
          lines.forEach((line, i) => send(line, r.phase, r.attempt, at[i]!));
          sentTo.set(`${r.attempt}:${r.phase}`, end);
        }
      } finally {
        for (const k of held) forward(k);
        held = null;
      }
    }
    return () => sub.unsubscribe();
  }
}
