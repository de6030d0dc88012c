import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Interval } from '@holdout/db';

export interface BoardRow {
  submissionId: string;
  teamId: string;
  teamName: string;
  publicScore: number | null;
  privateScore: number | null;
  publicInterval: Interval | null;
  privateInterval: Interval | null;
  cvScore: number | null;
  submittedAt: Date;
  selected: boolean;
  late: boolean;
}

/** One query per board over the partial index of scored, on-time submissions; disqualified teams and submissions are never ranked. */
@Injectable()
export class LeaderboardsRepository {
  constructor(private readonly ds: DataSource) {}

  /** `withPrivate` false: the private columns are not even read. `before`: only submissions made before it (a frozen board). */
  async rankable(competitionId: string, withPrivate: boolean, before: Date | null = null): Promise<BoardRow[]> {
    const priv = withPrivate ? 's.private_score, s.private_interval' : 'NULL::float8 AS private_score, NULL::jsonb AS private_interval';
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT s.id, s.team_id, t.name AS team_name, s.public_score, s.public_interval, ${priv}, s.cv_score, s.created_at, s.selected
         FROM submissions s JOIN teams t ON t.id = s.team_id
        WHERE s.competition_id = $1 AND s.status = 'scored' AND s.late = false AND s.disqualified_at IS NULL AND t.disqualified_at IS NULL
          AND ($2::timestamptz IS NULL OR s.created_at < $2)`,
      [competitionId, before],
    );
    return rows.map((r) => ({
      submissionId: r.id as string,
      teamId: r.team_id as string,
      teamName: r.team_name as string,
      publicScore: r.public_score as number | null,
      privateScore: r.private_score as number | null,
      publicInterval: r.public_interval as Interval | null,
      privateInterval: r.private_interval as Interval | null,
      cvScore: r.cv_score as number | null,
      submittedAt: r.created_at as Date,
      selected: r.selected as boolean,
      late: false,
    }));
  }
}
