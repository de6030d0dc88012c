import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { RescoreDto, RescoreStatusDto, ScoreJobData } from '@holdout/contracts';
import { rankLeaderboard } from '@holdout/metrics';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig, ArtifactFiles, Competition, JOBS, RESCORABLE_SQL, scoreJobOptions, SolutionVersion } from '@holdout/db';
import { DomainError, notFound } from '../../common/domain-error.js';
import { UploadInterceptor, type UploadInput } from '../../common/upload.interceptor.js';
import { parseWith } from '../../common/zod-body.js';
import { Queues } from '../../infra/infra.module.js';
import type { Principal } from '../auth/principal.js';
import { AuditService } from '../audit/audit.service.js';
import { CompetitionAccess } from './competition-access.service.js';

// The fields of a rescore (JSON, or multipart beside the `solution` file); unknown ones are refused by name.
const rescoreSchema = z.strictObject({ reason: z.string().trim().max(500, 'at most 500 characters').optional() });

/**
 * Rescoring: optionally a new solution version, then every scored (or scorer-rejected) file and
 * kernel submission is scored again on the scoring queue — a kernel's stored submission.csv, not
 * a new run. Earlier scores stay in `score_records`; the submission shows the latest.
 */
@Injectable()
export class RescoreService {
  constructor(
    private readonly ds: DataSource,
    private readonly access: CompetitionAccess,
    private readonly files: ArtifactFiles,
    private readonly queues: Queues,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The competition a rescore of `slug` applies to: the principal instructs it and it has a solution. */
  async rescorable(p: Principal, slug: string): Promise<Competition> {
    const c = await this.access.instructor(p, slug);
    if (!c.currentSolutionVersionId) throw new DomainError('competition_not_ready', 'the competition has no solution yet');
    return c;
  }

  /** How far a rescore is and what it changed: the course staff. */
  async status(p: Principal, slug: string, rescoreId: string): Promise<RescoreStatusDto> {
    const { c } = await this.access.staff(p, slug);
    const status = await rescoreStatus(this.ds, c, rescoreId);
    if (!status) throw notFound('rescore');
    return status;
  }

  /** Rescores every rescorable submission; with an uploaded `solution`, against it as a new solution version. */
  async rescore(p: Principal, slug: string, { context: c, upload, body }: UploadInput<Competition>): Promise<RescoreDto> {
    let reason: string | null;
    try {
      // Multipart fields or the JSON body: the same fields, unknown ones refused by name.
      if (upload && upload.attachments.length > 0) throw new DomainError('bad_request', 'attachments: a rescore takes one `solution` file and a `reason`');
      reason = parseWith(rescoreSchema, upload ? upload.fields : (body ?? {})).reason ?? null;
    } catch (err) {
      for (const f of [...(upload?.file ? [upload.file] : []), ...(upload?.attachments ?? [])]) await this.files.store.delete(f.key).catch(() => undefined);
      throw err;
    }
    const rescoreId = randomUUID();
    const result = await this.ds.transaction(async (m) => {
      await m.query('SELECT id FROM competitions WHERE id = $1 FOR UPDATE', [c.id]);
      let version = await m.getRepository(SolutionVersion).findOneOrFail({ where: { id: c.currentSolutionVersionId! } });
      if (upload?.file) {
        const max: { v: number }[] = await m.query('SELECT max(version) AS v FROM solution_versions WHERE competition_id = $1', [c.id]);
        version = await m.getRepository(SolutionVersion).save(
          m.getRepository(SolutionVersion).create({ competitionId: c.id, version: (max[0]?.v ?? 0) + 1, path: this.files.where(upload.file.key), artifactKey: upload.file.key, checksum: upload.file.sha256, note: reason, createdById: p.userId }),
        );
        await m.getRepository(Competition).update({ id: c.id }, { currentSolutionVersionId: version.id });
      }
      const ids: { id: string }[] = await m.query(
        `SELECT s.id FROM submissions s WHERE s.competition_id = $1 AND ${RESCORABLE_SQL}`,
        [c.id],
      );
      await this.audit.record(
        { actorId: p.userId, action: 'competition.rescore', competitionId: c.id, subjectType: 'solution_version', subjectId: version.id, data: { rescoreId, version: version.version, submissions: ids.length, reason } },
        m,
      );
      return { version, ids };
    });
    this.access.invalidate(slug);
    await this.queues.scoring.addBulk(
      result.ids.map(({ id }) => ({ name: JOBS.score, data: { submissionId: id, rescoreId } satisfies ScoreJobData, opts: scoreJobOptions(`${id}_${rescoreId}`) })),
    );
    return { rescoreId, solutionVersion: result.version.version, submissions: result.ids.length };
  }
}

/** A rescore's progress and what it changed, from its score records and the ones before them. */
export async function rescoreStatus(ds: DataSource, c: Pick<Competition, 'id'>, rescoreId: string): Promise<RescoreStatusDto | null> {
  const [event] = (await ds.query(`SELECT data FROM audit_events WHERE competition_id = $1 AND action = 'competition.rescore' AND data->>'rescoreId' = $2`, [c.id, rescoreId])) as {
    data: { version: number; submissions: number };
  }[];
  if (!event) return null;
  const rows = (await ds.query(
    `SELECT r.submission_id AS id, r.public_score AS pub, r.private_score AS priv, r.error_code AS err,
            prev.public_score AS prev_pub, prev.private_score AS prev_priv, prev.error_code AS prev_err
       FROM score_records r JOIN submissions s ON s.id = r.submission_id
       LEFT JOIN LATERAL (SELECT p.public_score, p.private_score, p.error_code FROM score_records p
                           WHERE p.submission_id = r.submission_id AND p.created_at < r.created_at ORDER BY p.created_at DESC LIMIT 1) prev ON true
      WHERE r.run = $1 AND s.competition_id = $2`,
    [rescoreId, c.id],
  )) as { id: string; pub: number | null; priv: number | null; err: string | null; prev_pub: number | null; prev_priv: number | null; prev_err: string | null }[];
  const total = Number(event.data.submissions);
  const finished = rows.length >= total;
  let teamsMoved: number | null = null;
  if (finished) {
    // The public board now, and as it was with each rescored submission's previous score.
    const previous = new Map(rows.map((r) => [r.id, r.prev_err === null ? r.prev_pub : null]));
    const subs = (await ds.query(`SELECT id, team_id, public_score, status, late, created_at FROM submissions WHERE competition_id = $1`, [c.id])) as {
      id: string; team_id: string; public_score: number | null; status: string; late: boolean; created_at: Date;
    }[];
    const board = (score: (s: (typeof subs)[number]) => number | null) =>
      new Map(rankLeaderboard({ split: 'public', submissions: subs.map((s) => ({ submissionId: s.id, teamId: s.team_id, score: score(s), submittedAt: s.created_at, late: s.late })) }).rows.map((r) => [r.teamId, r.rank]));
    const after = board((s) => (s.status === 'scored' ? s.public_score : null));
    const before = board((s) => (previous.has(s.id) ? previous.get(s.id)! : s.status === 'scored' ? s.public_score : null));
    teamsMoved = [...new Set([...after.keys(), ...before.keys()])].filter((t) => after.get(t) !== before.get(t)).length;
  }
  return {
    rescoreId,
    solutionVersion: event.data.version,
    submissions: total,
    done: rows.length,
    finished,
    changed: rows.filter((r) => r.pub !== r.prev_pub || r.priv !== r.prev_priv || r.err !== r.prev_err).length,
    rejected: rows.filter((r) => r.err !== null).length,
    teamsMoved,
  };
}

/** A rescore's optional `solution` upload (or a JSON `{reason}`): only the competition's instructors, before anything is stored. */
@Injectable()
export class RescoreUploadInterceptor extends UploadInterceptor<Competition> {
  protected readonly field = 'solution';
  protected override readonly jsonAllowed = true;

  constructor(private readonly rescores: RescoreService) {
    super();
  }

  protected async admit(p: Principal, params: Record<string, string>): Promise<{ context: Competition; keyPrefix: string }> {
    const c = await this.rescores.rescorable(p, String(params.slug));
    return { context: c, keyPrefix: `solutions/${c.id}` };
  }
}
