import { Controller, Get, Injectable, Param, Query, Res } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import type { GradeRowDto } from '@holdout/contracts';
import { toCsv } from '@holdout/competition';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { parseWith } from '../../common/zod-body.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { CompetitionAccess } from '../competitions/competition-access.service.js';
import { LeaderboardsService } from './leaderboards.service.js';

const querySchema = z
  .strictObject({
    format: z.enum(['json', 'csv']).default('json'),
    grade: z.enum(['linear', 'rank']).optional(),
    low: z.coerce.number().finite().optional(),
    high: z.coerce.number().finite().optional(),
  })
  .refine((q) => q.grade !== 'linear' || (q.low !== undefined && q.high !== undefined && q.high > q.low), { message: 'grade=linear needs low < high: the private scores that map to 0 and to 100', path: ['low'] });

/**
 * The grades export: one row per student of the course, with their team's public and private
 * score and rank (private ones once revealed), final selections, late and disqualified flags, and
 * an optional grade from the private standing: `linear` maps the score from `low` (0) to `high`
 * (100), clamped; `rank` maps first place to 100 and the last ranked team to 0. A disqualified or
 * unranked team's students get no grade (null), for the instructor to decide.
 */
@Injectable()
export class GradesService {
  constructor(
    private readonly ds: DataSource,
    private readonly access: CompetitionAccess,
    private readonly boards: LeaderboardsService,
  ) {}

  async rows(p: Principal, slug: string, query: unknown): Promise<{ rows: GradeRowDto[]; format: 'json' | 'csv'; slug: string }> {
    const q = parseWith(querySchema, query);
    const { c } = await this.access.staff(p, slug);
    const standing = await this.boards.standings(c);
    const students = (await this.ds.query(
      `SELECT u.display_name, u.email, t.id AS team_id, t.name AS team_name, t.disqualified_at IS NOT NULL AS disqualified,
              COALESCE((SELECT array_agg(s.id ORDER BY s.created_at) FROM submissions s WHERE s.team_id = t.id AND s.selected), '{}') AS selected,
              EXISTS (SELECT 1 FROM submissions s WHERE s.team_id = t.id AND s.late AND s.status = 'scored') AS late
         FROM memberships m JOIN users u ON u.id = m.user_id
         LEFT JOIN team_members tm ON tm.user_id = u.id AND tm.competition_id = $2
         LEFT JOIN teams t ON t.id = tm.team_id
        WHERE m.course_id = $1 AND m.role = 'student'
        ORDER BY lower(u.display_name), u.email`,
      [c.courseId, c.id],
    )) as { display_name: string; email: string; team_id: string | null; team_name: string | null; disqualified: boolean | null; selected: string[]; late: boolean }[];
    const ranked = standing.private?.size ?? 0;
    const gradeOf = (pr: { rank: number; score: number } | undefined): number | null => {
      if (!q.grade || !pr) return null;
      if (q.grade === 'rank') return ranked <= 1 ? 100 : round((100 * (ranked - pr.rank)) / (ranked - 1));
      return round(Math.min(100, Math.max(0, (100 * (pr.score - q.low!)) / (q.high! - q.low!))));
    };
    const rows = students.map((s): GradeRowDto => {
      const pub = s.team_id ? standing.public.get(s.team_id) : undefined;
      const pr = s.team_id ? standing.private?.get(s.team_id) : undefined;
      return {
        student: s.display_name,
        email: s.email,
        team: s.team_name,
        publicScore: pub?.score ?? null,
        publicRank: pub?.rank ?? null,
        privateScore: pr?.score ?? null,
        privateRank: pr?.rank ?? null,
        selected: s.selected,
        late: s.late,
        disqualified: s.disqualified === true,
        grade: gradeOf(pr),
      };
    });
    return { rows, format: q.format, slug: c.slug };
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

const CSV_COLUMNS = ['student', 'email', 'team', 'public_score', 'public_rank', 'private_score', 'private_rank', 'selected', 'late', 'disqualified', 'grade'] as const;

@ApiTags('leaderboards')
@Controller('competitions/:slug/grades')
export class GradesController {
  constructor(private readonly grades: GradesService) {}

  /** Course staff: JSON, or `?format=csv` as a download; `?grade=linear&low=…&high=…` or `?grade=rank` adds a grade. */
  @Get()
  @ApiQuery({ name: 'format', enum: ['json', 'csv'], required: false })
  @ApiQuery({ name: 'grade', enum: ['linear', 'rank'], required: false })
  async export(@CurrentUser() p: Principal, @Param('slug') slug: string, @Query() query: Record<string, string>, @Res() res: Response): Promise<void> {
    const { rows, format, slug: s } = await this.grades.rows(p, slug, query);
    res.setHeader('cache-control', 'private, no-store');
    if (format === 'json') {
      res.json(rows);
      return;
    }
    // Names are the students' own text: a leading = + - @ would run as a formula in a spreadsheet.
    const cell = (v: string | number | boolean | null) => (v === null ? '' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
    const body = toCsv(
      CSV_COLUMNS,
      rows.map((r) => [r.student, r.email, r.team, r.publicScore, r.publicRank, r.privateScore, r.privateRank, r.selected.join(' '), r.late, r.disqualified, r.grade].map(cell)),
    );
    res.attachment(`${s}-grades.csv`);
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.send(body);
  }
}
