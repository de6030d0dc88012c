import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { TeamDto, TeamInviteDto, TeamLinkPreviewDto } from '@holdout/contracts';
import { CHARGED_STATUSES_SQL, type Competition, EventPublisher, Notifier, SubmissionLifecycle } from '@holdout/db';
import { leaveProblem, mergeClosesAt, mergeProblem } from '@holdout/rules';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { DomainError, notFound } from '../../common/domain-error.js';
import { parseWith } from '../../common/zod-body.js';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { CompetitionAccess } from '../competitions/competition-access.service.js';
import { maxTeamSizeOf } from '../competitions/settings.js';
import { SubmissionsRepository } from '../submissions/submissions.repository.js';

const nameSchema = z.strictObject({ name: z.string().trim().min(1, 'a team needs a name').max(120) });
const inviteSchema = z.strictObject({ teamName: z.string().trim().min(1).max(120) });
const joinSchema = z.strictObject({ code: z.string().trim().min(10).max(64) });

interface TeamFacts {
  id: string;
  name: string;
  members: number;
  submissions: number;
}

/**
 * Teams of a competition: the viewer's team, its name, invites by name and by link, merges under
 * libs/rules' team rules, and leaving. A merge moves the other team's members and submissions
 * (scores kept) into the inviting team, in one transaction under both teams' row locks, clears
 * the merged team's final selections (chosen again by the rule) and is audited; the leaderboards
 * follow from the submissions' team.
 */
@Injectable()
export class TeamsService {
  constructor(
    private readonly ds: DataSource,
    private readonly access: CompetitionAccess,
    private readonly repo: SubmissionsRepository,
    private readonly lifecycle: SubmissionLifecycle,
    private readonly audit: AuditService,
    private readonly events: EventPublisher,
    private readonly notifier: Notifier,
  ) {}

  /** The viewer's team, created (a team of one) on first use. */
  async mine(p: Principal, slug: string): Promise<TeamDto> {
    const { c, teamId } = await this.context(p, slug);
    return this.render(p, c, teamId);
  }

  async rename(p: Principal, slug: string, body: unknown): Promise<TeamDto> {
    const { name } = parseWith(nameSchema, body);
    const { c, teamId } = await this.context(p, slug);
    await this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`team-names:${c.id}`]);
      const [taken] = (await m.query('SELECT 1 FROM teams WHERE competition_id = $1 AND lower(name) = lower($2) AND id <> $3', [c.id, name, teamId])) as unknown[];
      if (taken) throw new DomainError('conflict', `a team called "${name}" exists already in this competition`);
      const [before] = (await m.query('SELECT name FROM teams WHERE id = $1', [teamId])) as { name: string }[];
      await m.query('UPDATE teams SET name = $2 WHERE id = $1', [teamId, name]);
      await this.audit.record({ actorId: p.userId, action: 'team.rename', competitionId: c.id, subjectType: 'team', subjectId: teamId, data: { before: before!.name, after: name } }, m);
    });
    await this.events.competitionChanged(c.id);
    return this.render(p, c, teamId);
  }

  /** The team's invite link (its code is made once; whoever opens the link may merge their team into this one). */
  async inviteLink(p: Principal, slug: string): Promise<TeamDto> {
    const { c, teamId } = await this.context(p, slug);
    await this.ds.query('UPDATE teams SET invite_code = $2 WHERE id = $1 AND invite_code IS NULL', [teamId, randomBytes(18).toString('base64url')]);
    return this.render(p, c, teamId);
  }

  /** What following a link would do: the team it leads to and whether the merge would work now. */
  async previewLink(p: Principal, slug: string, code: string): Promise<TeamLinkPreviewDto> {
    const { c, teamId } = await this.context(p, slug);
    const target = await this.byCode(c, code);
    if (target.id === teamId) throw new DomainError('conflict', 'this is your own team\'s invite link');
    const mine = await this.facts(this.ds.manager, teamId);
    return { team: { name: target.name, members: target.members }, problem: mergeProblem(this.mergeCase(c, target, mine)) };
  }

  /** Follows an invite link: the viewer's team merges into the link's team. */
  async join(p: Principal, slug: string, body: unknown): Promise<TeamDto> {
    const { code } = parseWith(joinSchema, body);
    const { c, teamId } = await this.context(p, slug);
    const target = await this.byCode(c, code);
    if (target.id === teamId) throw new DomainError('conflict', 'this is your own team\'s invite link');
    await this.merge(p, c, { into: target.id, from: teamId, via: 'link' });
    return this.render(p, c, target.id);
  }

  /** Invites the team called `teamName` to merge into the viewer's team; that team accepts or declines. */
  async invite(p: Principal, slug: string, body: unknown): Promise<TeamInviteDto> {
    const { teamName } = parseWith(inviteSchema, body);
    const { c, teamId } = await this.context(p, slug);
    let found = (await this.ds.query('SELECT id FROM teams WHERE competition_id = $1 AND lower(name) = lower($2)', [c.id, teamName])) as { id: string }[];
    if (found.length === 0) {
      // A student of the course who has not competed yet has no team row: their team of one is made now.
      const students = (await this.ds.query(
        `SELECT u.id, u.display_name FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.course_id = $1 AND m.role = 'student' AND lower(u.display_name) = lower($2)
            AND NOT EXISTS (SELECT 1 FROM team_members tm WHERE tm.user_id = u.id AND tm.competition_id = $3)`,
        [c.courseId, teamName, c.id],
      )) as { id: string; display_name: string }[];
      if (students.length === 1) found = [{ id: await this.ds.transaction((m) => this.repo.ensureTeam(m, c.id, students[0]!.id, students[0]!.display_name)) }];
    }
    if (found.length === 0) throw new DomainError('not_found', `no team is called "${teamName}" in this competition`);
    if (found.length > 1) throw new DomainError('conflict', `several teams are called "${teamName}"; send them your invite link instead`);
    const to = found[0]!.id;
    if (to === teamId) throw new DomainError('conflict', 'that is your own team');
    const mine = await this.facts(this.ds.manager, teamId);
    const other = await this.facts(this.ds.manager, to);
    const problem = mergeProblem(this.mergeCase(c, mine, other));
    if (problem) throw new DomainError('conflict', `you cannot merge with "${other.name}" now: ${problem}`);
    const [row] = (await this.ds.query(
      `INSERT INTO team_invites (competition_id, from_team_id, to_team_id, created_by_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (from_team_id, to_team_id) WHERE status = 'pending' DO NOTHING RETURNING id, created_at`,
      [c.id, teamId, to, p.userId],
    )) as { id: string; created_at: Date }[];
    if (!row) throw new DomainError('conflict', `your team has invited "${other.name}" already`);
    await this.audit.record({ actorId: p.userId, action: 'team.invite', competitionId: c.id, subjectType: 'team', subjectId: teamId, data: { to: other.name } });
    await this.notifier.toTeam(this.ds.manager, to, { kind: 'team-invite', title: `Team ${mine.name} invites your team to merge in ${c.title}`, link: `/competitions/${c.slug}/team` });
    return { id: row.id, team: { name: other.name, members: other.members }, createdAt: row.created_at.toISOString(), problem: null };
  }

  /** Accepts an invite to the viewer's team: it merges into the inviting team. */
  async accept(p: Principal, slug: string, inviteId: string): Promise<TeamDto> {
    const { c, teamId } = await this.context(p, slug);
    const invite = await this.pendingInvite(c, inviteId, { to: teamId });
    await this.merge(p, c, { into: invite.from_team_id, from: teamId, via: 'invite', inviteId });
    return this.render(p, c, invite.from_team_id);
  }

  /** Declines an invite to the viewer's team, or (`cancel`) withdraws one the viewer's team sent. */
  async answer(p: Principal, slug: string, inviteId: string, how: 'declined' | 'cancelled'): Promise<TeamDto> {
    const { c, teamId } = await this.context(p, slug);
    await this.pendingInvite(c, inviteId, how === 'declined' ? { to: teamId } : { from: teamId });
    await this.ds.query(`UPDATE team_invites SET status = $2, answered_at = now() WHERE id = $1 AND status = 'pending'`, [inviteId, how]);
    await this.audit.record({ actorId: p.userId, action: `team.invite.${how === 'declined' ? 'decline' : 'cancel'}`, competitionId: c.id, subjectType: 'team', subjectId: teamId, data: { inviteId } });
    return this.render(p, c, teamId);
  }

  /** The viewer leaves a team of two or more (before it has submitted, while merging is open) and is a team of one again. */
  async leave(p: Principal, slug: string): Promise<TeamDto> {
    const { c, teamId } = await this.context(p, slug);
    const newTeam = await this.ds.transaction(async (m) => {
      await this.repo.lockTeam(m, teamId);
      const f = await this.facts(m, teamId, true);
      const problem = leaveProblem({ now: new Date(), closesAt: c.closesAt, teamMergeDeadline: c.teamMergeDeadline, members: f.members, teamSubmissions: f.submissions });
      if (problem) throw new DomainError('conflict', `you cannot leave your team: ${problem}`);
      const [team] = (await m.query('INSERT INTO teams (competition_id, name) VALUES ($1, $2) RETURNING id', [c.id, await this.freeName(m, c.id, p.displayName)])) as { id: string }[];
      await m.query('UPDATE team_members SET team_id = $3 WHERE competition_id = $1 AND user_id = $2', [c.id, p.userId, team!.id]);
      await this.audit.record({ actorId: p.userId, action: 'team.leave', competitionId: c.id, subjectType: 'team', subjectId: teamId, data: { team: f.name } }, m);
      return team!.id;
    });
    await this.events.competitionChanged(c.id);
    return this.render(p, c, newTeam);
  }

  /** Moves team `from` (members and submissions) into team `into`, when the rules allow it now. */
  private async merge(p: Principal, c: Competition, o: { into: string; from: string; via: 'link' | 'invite'; inviteId?: string }): Promise<void> {
    await this.ds.transaction(async (m) => {
      // Both rows locked, in a fixed order (two merges crossing each other wait, not deadlock).
      await m.query('SELECT id FROM teams WHERE id = ANY($1) ORDER BY id FOR UPDATE', [[o.into, o.from]]);
      const into = await this.facts(m, o.into, true);
      const from = await this.facts(m, o.from, true);
      const problem = mergeProblem(this.mergeCase(c, into, from));
      if (problem) throw new DomainError('conflict', `the teams cannot merge: ${problem}`);
      await m.query('UPDATE team_members SET team_id = $1 WHERE team_id = $2', [o.into, o.from]);
      await m.query('UPDATE submissions SET team_id = $1, updated_at = now() WHERE team_id = $2', [o.into, o.from]);
      const cleared = await this.lifecycle.clearSelections(m, o.into);
      if (o.inviteId) await m.query(`UPDATE team_invites SET status = 'accepted', answered_at = now() WHERE id = $1`, [o.inviteId]);
      await this.audit.record(
        {
          actorId: p.userId,
          action: 'team.merge',
          competitionId: c.id,
          subjectType: 'team',
          subjectId: o.into,
          data: { into: into.name, from: from.name, via: o.via, members: into.members + from.members, submissions: into.submissions + from.submissions, selectionsCleared: cleared },
        },
        m,
      );
      // Its other invites go with it.
      await m.query('DELETE FROM teams WHERE id = $1', [o.from]);
    });
    await this.events.competitionChanged(c.id);
  }

  private async context(p: Principal, slug: string): Promise<{ c: Competition; teamId: string }> {
    const { c, role } = await this.access.visible(p, slug);
    if (!role) throw new DomainError('forbidden', 'join the course to compete in this competition');
    if (role !== 'student') throw new DomainError('forbidden', 'teams are for the students of the course; the course staff do not form teams');
    const teamId = await this.ds.transaction((m) => this.repo.ensureTeam(m, c.id, p.userId, p.displayName));
    return { c, teamId };
  }

  /** `name`, or `name (2)`, `name (3)`…: the first no team of the competition has. */
  private async freeName(m: EntityManager, competitionId: string, name: string): Promise<string> {
    for (let i = 1; ; i++) {
      const candidate = i === 1 ? name : `${name} (${i})`;
      const [taken] = (await m.query('SELECT 1 FROM teams WHERE competition_id = $1 AND lower(name) = lower($2)', [competitionId, candidate])) as unknown[];
      if (!taken) return candidate;
    }
  }

  private async byCode(c: Competition, code: string): Promise<TeamFacts> {
    const [row] = (await this.ds.query('SELECT id FROM teams WHERE competition_id = $1 AND invite_code = $2', [c.id, code])) as { id: string }[];
    if (!row) throw new DomainError('not_found', 'this invite link is not valid in this competition (it may have been for a team that merged since)');
    return this.facts(this.ds.manager, row.id);
  }

  private async pendingInvite(c: Competition, id: string, side: { to?: string; from?: string }): Promise<{ from_team_id: string; to_team_id: string }> {
    const [row] = (await this.ds.query(`SELECT from_team_id, to_team_id FROM team_invites WHERE id = $1 AND competition_id = $2 AND status = 'pending'`, [id, c.id])) as {
      from_team_id: string;
      to_team_id: string;
    }[];
    if (!row || (side.to && row.to_team_id !== side.to) || (side.from && row.from_team_id !== side.from)) throw notFound('invite');
    return row;
  }

  /** Members and charged submissions of a team (`all`: every submission, for the leave rule). */
  private async facts(m: EntityManager, teamId: string, all = false): Promise<TeamFacts> {
    const [row] = (await m.query(
      `SELECT t.id, t.name, (SELECT count(*) FROM team_members tm WHERE tm.team_id = t.id) AS members,
              (SELECT count(*) FROM submissions s WHERE s.team_id = t.id AND ${all ? 'NOT s.run_only' : CHARGED_STATUSES_SQL}) AS submissions
         FROM teams t WHERE t.id = $1`,
      [teamId],
    )) as { id: string; name: string; members: string; submissions: string }[];
    if (!row) throw notFound('team');
    return { id: row.id, name: row.name, members: Number(row.members), submissions: Number(row.submissions) };
  }

  private mergeCase(c: Competition, a: TeamFacts, b: TeamFacts) {
    return {
      now: new Date(),
      opensAt: c.opensAt,
      closesAt: c.closesAt,
      teamMergeDeadline: c.teamMergeDeadline,
      maxTeamSize: maxTeamSizeOf(c),
      dailySubmissions: c.dailySubmissions,
      a: { members: a.members, submissions: a.submissions },
      b: { members: b.members, submissions: b.submissions },
    };
  }

  private async render(p: Principal, c: Competition, teamId: string): Promise<TeamDto> {
    const [team] = (await this.ds.query('SELECT id, name, invite_code, disqualified_at, disqualified_reason FROM teams WHERE id = $1', [teamId])) as {
      id: string;
      name: string;
      invite_code: string | null;
      disqualified_at: Date | null;
      disqualified_reason: string | null;
    }[];
    if (!team) throw notFound('team');
    const members = (await this.ds.query(
      'SELECT u.id, u.display_name FROM team_members tm JOIN users u ON u.id = tm.user_id WHERE tm.team_id = $1 ORDER BY tm.created_at, u.display_name',
      [teamId],
    )) as { id: string; display_name: string }[];
    const mine = await this.facts(this.ds.manager, teamId);
    const all = await this.facts(this.ds.manager, teamId, true);
    const invites = (await this.ds.query(
      `SELECT i.id, i.created_at, i.from_team_id, i.to_team_id FROM team_invites i WHERE i.status = 'pending' AND (i.from_team_id = $1 OR i.to_team_id = $1) ORDER BY i.created_at`,
      [teamId],
    )) as { id: string; created_at: Date; from_team_id: string; to_team_id: string }[];
    const toDto = async (i: (typeof invites)[number], other: string): Promise<TeamInviteDto> => {
      const o = await this.facts(this.ds.manager, other);
      return { id: i.id, team: { name: o.name, members: o.members }, createdAt: i.created_at.toISOString(), problem: mergeProblem(this.mergeCase(c, mine, o)) };
    };
    return {
      id: team.id,
      name: team.name,
      members: members.map((u) => ({ displayName: u.display_name, you: u.id === p.userId })),
      maxTeamSize: maxTeamSizeOf(c),
      mergeClosesAt: mergeClosesAt(c).toISOString(),
      submissions: mine.submissions,
      invitePath: team.invite_code ? `/competitions/${c.slug}/team?code=${team.invite_code}` : null,
      invitesReceived: await Promise.all(invites.filter((i) => i.to_team_id === teamId).map((i) => toDto(i, i.from_team_id))),
      invitesSent: await Promise.all(invites.filter((i) => i.from_team_id === teamId).map((i) => toDto(i, i.to_team_id))),
      leaveProblem: leaveProblem({ now: new Date(), closesAt: c.closesAt, teamMergeDeadline: c.teamMergeDeadline, members: mine.members, teamSubmissions: all.submissions }),
      disqualified: team.disqualified_at ? { reason: team.disqualified_reason ?? '', at: team.disqualified_at.toISOString() } : null,
    };
  }
}
