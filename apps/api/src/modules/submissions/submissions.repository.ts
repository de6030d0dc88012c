import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CHARGED_STATUSES_SQL, Submission } from '@holdout/db';

export interface SubmissionRow {
  s: Submission;
  teamName: string;
  slug: string;
}

/** Queries about teams and submissions. No rules here. */
@Injectable()
export class SubmissionsRepository {
  constructor(private readonly ds: DataSource) {}

  async teamOf(competitionId: string, userId: string, m: EntityManager = this.ds.manager): Promise<string | null> {
    const r: { team_id: string }[] = await m.query('SELECT team_id FROM team_members WHERE competition_id = $1 AND user_id = $2', [competitionId, userId]);
    return r[0]?.team_id ?? null;
  }

  /** The user's team, created (a team of one, named after them) on first use. */
  async ensureTeam(m: EntityManager, competitionId: string, userId: string, name: string): Promise<string> {
    const existing = await this.teamOf(competitionId, userId, m);
    if (existing) return existing;
    // Two parallel first uploads race here: the unique (competition, user) index decides.
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`team:${competitionId}:${userId}`]);
    const again = await this.teamOf(competitionId, userId, m);
    if (again) return again;
    const [team]: { id: string }[] = await m.query('INSERT INTO teams (competition_id, name) VALUES ($1, $2) RETURNING id', [competitionId, name]);
    await m.query('INSERT INTO team_members (team_id, competition_id, user_id) VALUES ($1, $2, $3)', [team!.id, competitionId, userId]);
    return team!.id;
  }

  /** Locks the team row for the rest of the transaction (quota and selection checks). */
  async lockTeam(m: EntityManager, teamId: string): Promise<void> {
    await m.query('SELECT id FROM teams WHERE id = $1 FOR UPDATE', [teamId]);
  }

  async chargedSince(teamId: string, since: Date, m: EntityManager = this.ds.manager): Promise<number> {
    const r: { n: string }[] = await m.query(`SELECT count(*) AS n FROM submissions s WHERE s.team_id = $1 AND s.created_at >= $2 AND ${CHARGED_STATUSES_SQL}`, [teamId, since]);
    return Number(r[0]!.n);
  }

  async selectedIds(m: EntityManager, teamId: string): Promise<string[]> {
    const r: { id: string }[] = await m.query('SELECT id FROM submissions WHERE team_id = $1 AND selected', [teamId]);
    return r.map((x) => x.id);
  }

  async isMember(teamId: string, userId: string): Promise<boolean> {
    const r = await this.ds.query('SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2', [teamId, userId]);
    return r.length > 0;
  }

  async findWithTeam(id: string): Promise<SubmissionRow | null> {
    const s = await this.ds.getRepository(Submission).findOne({ where: { id }, relations: { team: true, competition: true } });
    if (!s) return null;
    return { s, teamName: s.team!.name, slug: s.competition!.slug };
  }

  async listForCompetition(competitionId: string): Promise<Submission[]> {
    return this.ds.getRepository(Submission).find({ where: { competitionId }, relations: { team: true }, order: { createdAt: 'DESC' } });
  }

  async listForTeam(teamId: string): Promise<Submission[]> {
    return this.ds.getRepository(Submission).find({ where: { teamId }, relations: { team: true }, order: { createdAt: 'DESC' } });
  }
}
