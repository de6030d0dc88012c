import { Injectable } from '@nestjs/common';
import type { CompetitionConfig } from '@holdout/competition';
import { UNFINISHED_STATUSES } from '@holdout/rules';
import type { ModelJobData, SubmissionProgressDto } from '@holdout/contracts';
import { ArtifactFiles, type Competition, JOBS, JsonLogger, modelJobOptions, type Submission } from '@holdout/db';
import { checkModelFor } from '@holdout/inference';
import { DataSource } from 'typeorm';
import { DomainError } from '../../common/domain-error.js';
import { Queues } from '../../infra/infra.module.js';
import type { Principal } from '../auth/principal.js';
import { SubmissionIntake, type Intake } from './submission-intake.js';

/** Model checks running at once in this process (each reads a model of up to the competition's size limit). */
const MAX_CHECKS = 2;
/** How long an upload waits for a check slot (checks take a second or so) before it is refused with 503. */
const CHECK_WAIT_MS = 60_000;

/**
 * Model (ONNX) submissions: the uploaded model — one `.onnx`, or a `.tar` of several averaged as
 * an ensemble — is checked before anything is recorded (parseable, the competition's input and
 * output, allowed operators only, no custom domains, no external data, weights within the limit),
 * then accepted under the daily quota and queued for a model worker. A refused model leaves
 * nothing and costs nothing: 422 `invalid_model` with every problem found.
 */
@Injectable()
export class ModelSubmissions {
  private checking = 0;
  /** Uploads waiting for a check slot, first come first served. */
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly ds: DataSource,
    private readonly intake: SubmissionIntake,
    private readonly files: ArtifactFiles,
    private readonly queues: Queues,
    private readonly logger: JsonLogger,
  ) {}

  async submit(p: Principal, c: Competition, intake: Intake): Promise<Submission> {
    const settings = (c.config as CompetitionConfig).model;
    if (!settings) throw new DomainError('submission_kind_not_allowed', 'this competition has no model pipeline');
    await this.checkSlot();
    let check;
    try {
      check = await this.files.withFile(intake.file.key, (path) => checkModelFor(settings, path, intake.file.fileName));
    } finally {
      this.releaseSlot();
    }
    if (!check.ok) {
      const first = check.problems[0]!;
      const more = check.problems.length > 1 ? ` (and ${check.problems.length - 1} more problem${check.problems.length > 2 ? 's' : ''})` : '';
      throw new DomainError('invalid_model', `${first.message}${more}`, { problems: check.problems });
    }
    const saved = await this.intake.accept(p, c, intake);
    // After the commit; if Redis is down the row stays queued and the models' sweeper enqueues it.
    const data: ModelJobData = { submissionId: saved.id };
    await this.queues.models
      .add(JOBS.model, data, modelJobOptions(saved.id))
      .catch((err: unknown) => this.logger.write('warn', 'enqueue failed; the sweeper will retry', { submissionId: saved.id, err: String(err) }));
    return saved;
  }

  /**
   * A check slot: at once when fewer than MAX_CHECKS run, else after the uploads before this one
   * (a class sending models at the deadline waits its turn); 503 after CHECK_WAIT_MS.
   */
  private async checkSlot(): Promise<void> {
    if (this.checking < MAX_CHECKS) {
      this.checking++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        resolve(); // the slot is handed over: `checking` stays counted
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(turn), 1);
        reject(new DomainError('unavailable', 'other models are being checked right now; nothing was stored or charged; try again in a minute', { retryAfterSeconds: 60 }));
      }, CHECK_WAIT_MS);
      this.waiting.push(turn);
    });
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.checking--;
  }

  /**
   * Where an unfinished model stands: queued (its place among the models waiting), or running with
   * the image being predicted of how many and its windows done. Null once finished. The images
   * are counted, never named, and in id order (nothing says which are public).
   */
  async progress(id: string, c: Pick<Competition, 'config'>): Promise<SubmissionProgressDto | null> {
    const [row] = (await this.ds.query(
      `SELECT s.status, s.created_at, r.started_at, r.images_done, r.images_total, r.windows_done, r.windows_total
         FROM submissions s LEFT JOIN LATERAL (SELECT * FROM model_runs r WHERE r.submission_id = s.id ORDER BY r.attempt DESC LIMIT 1) r ON true
        WHERE s.id = $1`,
      [id],
    )) as { status: string; created_at: Date; started_at: Date | null; images_done: number | null; images_total: number | null; windows_done: number | null; windows_total: number | null }[];
    if (!row || !(UNFINISHED_STATUSES as readonly string[]).includes(row.status)) return null;
    const limitSeconds = (c.config as CompetitionConfig).model?.timeLimitSeconds ?? 0;
    if (row.status === 'queued') {
      const [q] = (await this.ds.query(
        `SELECT count(*) FILTER (WHERE created_at < $1 OR (created_at = $1 AND id < $2)) AS ahead, count(*) AS waiting FROM submissions WHERE kind = 'model' AND status = 'queued'`,
        [row.created_at, id],
      )) as { ahead: string; waiting: string }[];
      return { phase: 'queued', run: null, position: Number(q!.ahead) + 1, waiting: Number(q!.waiting), etaSeconds: null, startedAt: null, elapsedSeconds: null, limitSeconds, model: null };
    }
    const started = row.started_at;
    const images = row.images_total;
    return {
      phase: row.status as 'running' | 'scoring',
      run: null,
      position: null,
      waiting: null,
      etaSeconds: null,
      startedAt: started?.toISOString() ?? null,
      elapsedSeconds: started ? Math.max(0, Math.round((Date.now() - started.getTime()) / 1000)) : null,
      limitSeconds,
      model: row.status === 'running' && images ? { image: Math.min(images, (row.images_done ?? 0) + 1), images, windowsDone: row.windows_done ?? 0, windowsTotal: row.windows_total } : null,
    };
  }
}
