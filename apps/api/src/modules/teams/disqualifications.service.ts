import { Injectable } from '@nestjs/common';
import type { SubmissionDto, TeamSummaryDto } from '@holdout/contracts';
import { CHARGED_STATUSES_SQL, EventPublisher } from '@holdout/db';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { forbidden, notFound } from '../../common/domain-error.js';
import { parseWith } from '../../common/zod-body.js';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { CompetitionAccess, isRevealed } from '../competitions/competition-access.service.js';
import { toSubmissionDto } from '../submissions/submission.mapper.js';
import { SubmissionsRepository } from '../submissions/submissions.repository.js';
import { findForTeamOrStaff } from '../submissions/team-or-staff.js';

const reasonSchema = z.strictObject({ reason: z.string().trim().min(3, 'give the team a reason (at least 3 characters)').max(1000) });

/**
 * The course staff's view of a competition's teams, and disqualification: an instructor takes a
 * team or one submission off the leaderboards and the shake-up (the private board re-ranks
 * without it), with a reason its team reads; reinstating undoes it. Both are audited. The boards
 * leave them out in their one query (LeaderboardsRepository.rankable).
 */
@Injectable()
export class Disqualifications {
  constructor(
    private readonly ds: DataSource,
    private readonly access: CompetitionAccess,
    private readonly repo: SubmissionsRepository,
    private readonly audit: AuditService,
    private readonly events: EventPublisher,
  ) {}

  /** Every team with its members' names and e-mail addresses (staff only). */
  async teams(p: Principal, slug: string): Promise<TeamSummaryDto[]> {
    const { c } = await this.access.staff(p, slug);
    const rows = (await this.ds.query(
      `SELECT t.id, t.name, t.disqualified_at, t.disqualified_reason,
              COALESCE((SELECT json_agg(json_build_object('displayName', u.display_name, 'email', u.email) ORDER BY u.display_name)
                          FROM team_members tm JOIN users u ON u.id = tm.user_id WHERE tm.team_id = t.id), '[]') AS members,
              (SELECT count(*) FROM submissions s WHERE s.team_id = t.id AND ${CHARGED_STATUSES_SQL}) AS submissions
         FROM teams t WHERE t.competition_id = $1 ORDER BY lower(t.name)`,
      [c.id],
    )) as { id: string; name: string; disqualified_at: Date | null; disqualified_reason: string | null; members: TeamSummaryDto['members']; submissions: string }[];
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      members: r.members,
      submissions: Number(r.submissions),
      disqualified: r.disqualified_at ? { reason: r.disqualified_reason ?? '', at: r.disqualified_at.toISOString() } : null,
    }));
  }

  /** Disqualifies a team (`reason` given) or reinstates it (`reason` null). Instructors only. */
  async team(p: Principal, slug: string, teamId: string, body: unknown | null): Promise<TeamSummaryDto> {
    const c = await this.access.instructor(p, slug);
    const reason = body === null ? null : parseWith(reasonSchema, body).reason;
    await this.ds.transaction(async (m) => {
      const [rows] = (await m.query(
        `UPDATE teams SET disqualified_at = ${reason === null ? 'NULL' : 'now()'}, disqualified_reason = $3 WHERE id = $1 AND competition_id = $2 RETURNING name`,
        [teamId, c.id, reason],
      )) as [{ name: string }[], number];
      if (!rows[0]) throw notFound('team');
      await this.audit.record({ actorId: p.userId, action: reason === null ? 'team.reinstate' : 'team.disqualify', competitionId: c.id, subjectType: 'team', subjectId: teamId, data: { team: rows[0].name, reason } }, m);
    });
    await this.events.competitionChanged(c.id);
    const found = (await this.teams(p, slug)).find((t) => t.id === teamId);
    if (!found) throw notFound('team');
    return found;
  }

  /** Disqualifies one submission (`reason` given) or reinstates it (`reason` null). Instructors of its course only. */
  async submission(p: Principal, id: string, body: unknown | null): Promise<SubmissionDto> {
    // Other teams learn nothing of it (404); its team and the TAs are told they may not.
    const { row, c, role } = await findForTeamOrStaff(this.repo, this.access, p, id);
    if (role !== 'instructor' && !p.isAdmin) throw forbidden('only an instructor of the course can disqualify or reinstate a submission');
    const reason = body === null ? null : parseWith(reasonSchema, body).reason;
    await this.ds.transaction(async (m) => {
      await m.query(`UPDATE submissions SET disqualified_at = ${reason === null ? 'NULL' : 'now()'}, disqualified_reason = $2, updated_at = now() WHERE id = $1`, [id, reason]);
      await this.audit.record({ actorId: p.userId, action: reason === null ? 'submission.reinstate' : 'submission.disqualify', competitionId: c.id, subjectType: 'submission', subjectId: id, data: { team: row.teamName, reason } }, m);
    });
    await this.events.submissionChanged(id, c.id);
    await this.events.competitionChanged(c.id);
    const now = (await this.repo.findWithTeam(id))!;
    return toSubmissionDto(now.s, { slug: c.slug, teamName: now.teamName, revealed: isRevealed(c) });
  }
}
