import { Injectable } from '@nestjs/common';
import { type Competition, type Submission, SubmissionLifecycle } from '@holdout/db';
import { quotaDay, quotaLeft } from '@holdout/rules';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '../../common/domain-error.js';
import type { Principal } from '../auth/principal.js';
import type { ParsedUpload } from './multipart.js';
import { SubmissionsRepository } from './submissions.repository.js';

/** What every kind of submission records: the stored upload and the participant's notes. */
export interface Intake {
  kind: Submission['kind'];
  file: NonNullable<ParsedUpload['file']>;
  description: string | null;
  cvScore: number | null;
  /** A kernel run without submitting: not under the daily quota (the public runs' own limit is the kernel path's). */
  runOnly: boolean;
}

/**
 * Accepts a submission of any kind under the daily quota: in one transaction, with the team's
 * row locked so that the count and the insert see the same state. `within` runs in the same
 * transaction (a kernel records what it asks to run, and may refuse it there).
 */
@Injectable()
export class SubmissionIntake {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: SubmissionsRepository,
    private readonly lifecycle: SubmissionLifecycle,
  ) {}

  accept(p: Principal, c: Competition, intake: Intake, within?: (m: EntityManager, s: Submission, teamId: string) => Promise<void>): Promise<Submission> {
    const now = new Date();
    return this.ds.transaction(async (m) => {
      const teamId = await this.repo.ensureTeam(m, c.id, p.userId, p.displayName);
      await this.repo.lockTeam(m, teamId);
      // A run without submitting is not a submission: the kernel path holds it to the public runs' limit.
      if (!intake.runOnly) {
        const day = quotaDay(now);
        const used = await this.repo.chargedSince(teamId, day.start, m);
        if (quotaLeft({ dailySubmissions: c.dailySubmissions, chargedToday: used }) === 0) {
          throw new DomainError('quota_exceeded', `you have used all ${c.dailySubmissions} submissions for today (UTC); more at ${day.end.toISOString()}`, { limit: c.dailySubmissions, used, resetsAt: day.end.toISOString() });
        }
      }
      // The close as the database has it now (an instructor may just have closed early on
      // another replica), not as this process cached it. FOR SHARE until this commits: an
      // instructor's close (an UPDATE of the row) waits for it, so the reveal's check that no
      // on-time submission is unfinished sees this one; a close that came first is seen here.
      const [fresh] = (await m.query('SELECT closes_at FROM competitions WHERE id = $1 FOR SHARE', [c.id])) as { closes_at: Date }[];
      const s = await this.lifecycle.accept(m, {
        competitionId: c.id,
        teamId,
        userId: p.userId,
        kind: intake.kind,
        description: intake.description,
        cvScore: intake.cvScore,
        fileName: intake.file.fileName,
        artifactPath: intake.file.key,
        checksum: intake.file.sha256,
        sizeBytes: intake.file.size,
        late: new Date() >= fresh!.closes_at,
        runOnly: intake.runOnly,
      });
      if (within) await within(m, s, teamId);
      return s;
    });
  }
}
