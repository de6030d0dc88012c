import type { ScoringErrorCode, SubmissionErrorCode, SubmissionStatus } from '@holdout/contracts';
import { guardOf, nextStatus, runFailureCode, type RejectionClass, type RunFailureClass, type Transition } from '@holdout/rules';
import type { DataSource, EntityManager } from 'typeorm';
import { Submission, type Interval } from './entities/submission.entity.js';

/** What the scorer found. */
export interface ScoreResult {
  solutionVersionId: string;
  publicScore: number | null;
  privateScore: number | null;
  publicInterval: Interval | null;
  privateInterval: Interval | null;
  perImagePublic: Record<string, number>;
  perImagePrivate: Record<string, number>;
}

/** Why the scorer refused the file. */
export interface Rejection {
  solutionVersionId: string;
  errorClass: RejectionClass;
  code: ScoringErrorCode;
  message: string;
  row: number | null;
}

/** Which scoring this is: `initial`, or a rescore's id (`score_records.run`). Each leaves one score record. */
export type ScoringRun = string;

type NewSubmission = Omit<Partial<Submission>, 'status' | 'id'> & Pick<Submission, 'competitionId' | 'teamId' | 'kind'>;

/**
 * The one writer of a submission's status and of what moves with it (scores, per-image scores,
 * the final selection, the error, attempts and timings). Each method is one transition of the
 * table in libs/rules (`TRANSITIONS`): the SQL is guarded by the statuses the transition may start
 * from, so a transition that no longer applies (a job delivered twice, a cancel that won a race)
 * changes nothing and returns false. Callers publish events after a change; nothing here does I/O
 * beyond the database.
 */
export class SubmissionLifecycle {
  constructor(private readonly ds: DataSource) {}

  /** accept: a new submission, queued. Inside the caller's transaction (quota and team lock are the caller's). */
  async accept(m: EntityManager, values: NewSubmission): Promise<Submission> {
    const repo = m.getRepository(Submission);
    return repo.save(repo.create({ ...values, status: nextStatus(null, 'accept') }));
  }

  /** claimForScoring: a scorer takes a queued file (or one a dead worker left in `scoring`). */
  async claimForScoring(id: string): Promise<boolean> {
    return (await this.write('claimForScoring', id, 'attempts = attempts + 1, started_at = now()')) !== null;
  }

  /**
   * claimForRun: a kernel worker takes a queued kernel (or one a dead worker left `running`) and
   * starts its public run (each attempt starts there); returns the attempt number.
   */
  async claimForRun(id: string): Promise<number | null> {
    const row = await this.write('claimForRun', id, `attempts = attempts + 1, run_phase = 'public', started_at = COALESCE(started_at, now())`, [], { returning: 'attempts' });
    return row ? Number(row.attempts) : null;
  }

  /**
   * claimForRun, for a model: a model worker takes a queued model (or one a dead worker left
   * `running`). A model has one run, over every test image: no run phase, its failures are charged.
   */
  async claimModelRun(id: string): Promise<number | null> {
    const row = await this.write('claimForRun', id, `attempts = attempts + 1, run_phase = NULL, started_at = COALESCE(started_at, now())`, [], { returning: 'attempts' });
    return row ? Number(row.attempts) : null;
  }

  /** startHiddenRun: the public run wrote a valid file; the run over the hidden test data starts (its failures are charged). */
  async startHiddenRun(id: string): Promise<boolean> {
    return (await this.write('startHiddenRun', id, `run_phase = 'hidden'`, [], { also: `run_phase = 'public'` })) !== null;
  }

  /** refuseOutput: the public run's file is not a valid submission (named like the scorer names it); not charged, never rescored. */
  async refuseOutput(id: string, r: Pick<Rejection, 'code' | 'message' | 'row'>): Promise<boolean> {
    const set = `error_class = 'scoring-error', error_code = $3, error_message = $4, error_row = $5, scored_at = now()`;
    return (await this.write('refuseOutput', id, set, [r.code, r.message, r.row], { also: `run_phase = 'public'` })) !== null;
  }

  /** completeRun: a run without submitting ended with a valid file. */
  async completeRun(id: string): Promise<boolean> {
    return (await this.write('completeRun', id, 'scored_at = now()', [], { also: 'run_only' })) !== null;
  }

  /** collectOutput: the kernel wrote its submission file; it is scored next. */
  async collectOutput(id: string, m?: EntityManager): Promise<boolean> {
    return (await this.write('collectOutput', id, '', [], { m })) !== null;
  }

  /**
   * recordScore (or, for a rescore, rescore → scored): the scores, with a score record of this
   * run (kept when a later rescore replaces the submission's scores).
   */
  async recordScore(id: string, r: ScoreResult, run: ScoringRun, m?: EntityManager): Promise<boolean> {
    return this.inTransaction(m, async (tx) => {
      await tx.query(
        `INSERT INTO score_records (submission_id, solution_version_id, run, public_score, private_score, public_interval, private_interval)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (submission_id, solution_version_id, run) DO NOTHING`,
        [id, r.solutionVersionId, run, r.publicScore, r.privateScore, json(r.publicInterval), json(r.privateInterval)],
      );
      const row = await this.write(
        run === 'initial' ? 'recordScore' : 'rescore',
        id,
        `public_score = $3, private_score = $4, public_interval = $5, private_interval = $6, per_image_public = $7, per_image_private = $8,
         solution_version_id = $9, error_class = NULL, error_code = NULL, error_message = NULL, error_row = NULL, scored_at = now()`,
        [r.publicScore, r.privateScore, json(r.publicInterval), json(r.privateInterval), JSON.stringify(r.perImagePublic), JSON.stringify(r.perImagePrivate), r.solutionVersionId],
        { m: tx, outcome: 'scored' },
      );
      return row !== null;
    });
  }

  /**
   * reject (or, for a rescore, rescore → failed): the scorer refused the file. Scores and the
   * final selection are cleared (a rescore may reject what was scored), with a score record.
   */
  async reject(id: string, r: Rejection, run: ScoringRun, m?: EntityManager): Promise<boolean> {
    return this.inTransaction(m, async (tx) => {
      await tx.query(
        `INSERT INTO score_records (submission_id, solution_version_id, run, error_code, error_message) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (submission_id, solution_version_id, run) DO NOTHING`,
        [id, r.solutionVersionId, run, r.code, r.message],
      );
      const row = await this.write(
        run === 'initial' ? 'reject' : 'rescore',
        id,
        `error_class = $3, error_code = $4, error_message = $5, error_row = $6, public_score = NULL, private_score = NULL, public_interval = NULL,
         private_interval = NULL, per_image_public = NULL, per_image_private = NULL, selected = false, solution_version_id = $7, scored_at = now()`,
        [r.errorClass, r.code, r.message, r.row, r.solutionVersionId],
        { m: tx, outcome: 'failed' },
      );
      return row !== null;
    });
  }

  /** failRun: the kernel failed by the participant's doing (charged: see libs/rules charging). */
  async failRun(id: string, errorClass: RunFailureClass, message: string, code: SubmissionErrorCode = runFailureCode(errorClass)): Promise<boolean> {
    const set = 'error_class = $3, error_code = $4, error_message = $5, error_row = NULL, scored_at = now()';
    return (await this.write('failRun', id, set, [errorClass, code, message])) !== null;
  }

  /**
   * failInfrastructure: failed on our side, not charged. `code` says what happened (`infrastructure`,
   * `stuck`: nothing progressed; `lost`: the run vanished); `only` narrows the statuses it may fail.
   */
  async failInfrastructure(id: string, message: string, o: { code?: 'infrastructure' | 'stuck' | 'lost'; only?: readonly SubmissionStatus[] } = {}): Promise<boolean> {
    const set = `error_class = 'infrastructure', error_code = $3, error_message = $4`;
    return (await this.write('failInfrastructure', id, set, [o.code ?? 'infrastructure', message], { only: o.only })) !== null;
  }

  /** requeue: back to the queue after a fault of ours (a worker stopping, a lost output); retried, not charged. */
  async requeue(id: string, only?: readonly SubmissionStatus[]): Promise<boolean> {
    return (await this.write('requeue', id, '', [], { only })) !== null;
  }

  /** cancel: by the team, staff or the worker that aborted it; not charged. Keeps a message already set. */
  async cancel(id: string, message = 'Cancelled; not charged.'): Promise<boolean> {
    return (await this.write('cancel', id, `error_class = 'cancelled', error_code = 'cancelled', error_message = COALESCE(error_message, $3)`, [message])) !== null;
  }

  /**
   * retry: staff run again a kernel that failed on our side (`infrastructure`); its errors are
   * cleared and it gets a fresh set of attempts (`retries` + 1). Other failures are final.
   */
  async retry(id: string, m?: EntityManager): Promise<boolean> {
    const set = 'retries = retries + 1, error_class = NULL, error_code = NULL, error_message = NULL, error_row = NULL, scored_at = NULL';
    return (await this.write('retry', id, set, [], { m, also: "kind = 'kernel' AND error_class = 'infrastructure'" })) !== null;
  }

  /** The final selection of a scored submission (limits and membership are the caller's, under the team lock). */
  async select(m: EntityManager, id: string, selected: boolean): Promise<boolean> {
    const [rows] = (await m.query(
      `UPDATE submissions SET selected = $2, updated_at = now() WHERE id = $1 AND (status = 'scored' OR $2 = false) RETURNING id`,
      [id, selected],
    )) as [unknown[], number];
    return rows.length > 0;
  }

  /** Clears a team's final selections (a merge: the merged team chooses again; none chosen, its best by public score count). */
  async clearSelections(m: EntityManager, teamId: string): Promise<number> {
    const [rows] = (await m.query('UPDATE submissions SET selected = false, updated_at = now() WHERE team_id = $1 AND selected RETURNING id', [teamId])) as [unknown[], number];
    return rows.length;
  }

  /**
   * Marks that the platform looked after an unfinished submission (a re-enqueue by the reconciler
   * or the sweeper), so the next sweep judges it from now. Not a transition.
   */
  async touch(id: string): Promise<void> {
    await this.ds.query('UPDATE submissions SET updated_at = now() WHERE id = $1', [id]);
  }

  /** One guarded UPDATE: `$1` is the id, `$2` the allowed statuses, `extra` from `$3` on; `also` narrows the guard further (constant SQL). */
  private async write(
    t: Transition,
    id: string,
    set: string,
    extra: unknown[] = [],
    o: { m?: EntityManager; only?: readonly SubmissionStatus[]; outcome?: SubmissionStatus; returning?: string; also?: string } = {},
  ): Promise<Record<string, unknown> | null> {
    const from = guardOf(t, o.only);
    const to = nextStatus(from[0]!, t, o.outcome);
    const sql = `UPDATE submissions SET status = '${to}', ${set ? `${set}, ` : ''}updated_at = now()
                  WHERE id = $1 AND status = ANY($2::text[])${o.also ? ` AND ${o.also}` : ''} RETURNING ${o.returning ?? 'id'}`;
    // TypeORM returns [rows, rowCount] for an UPDATE … RETURNING.
    const [rows] = (await (o.m ?? this.ds.manager).query(sql, [id, [...from], ...extra])) as [Record<string, unknown>[], number];
    return rows[0] ?? null;
  }

  private async inTransaction<T>(m: EntityManager | undefined, f: (m: EntityManager) => Promise<T>): Promise<T> {
    return m ? f(m) : this.ds.transaction(f);
  }
}

function json(v: unknown): string | null {
  return v === undefined || v === null ? null : JSON.stringify(v);
}
