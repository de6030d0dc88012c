import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import type { AuditEventDto } from '@holdout/contracts';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { forbidden, notFound } from '../../common/domain-error.js';
import { parseWith } from '../../common/zod-body.js';
import { CurrentUser, type Principal } from '../auth/principal.js';

const querySchema = z.strictObject({
  /** Only this competition's events (its slug). */
  competition: z.string().trim().min(1).max(100).optional(),
  /** Only actions starting with this, e.g. `team.` or `competition.close`. */
  action: z.string().trim().regex(/^[a-z][a-z.-]*$/, 'letters, dots and dashes, e.g. team. or competition.close').max(64).optional(),
  /** Older than this event (the `id` of the last event of the previous page): exact, whatever the clock's precision. */
  before: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** The audit log of a course, for its instructors: every instructor and admin action in it, filterable. */
@ApiTags('audit')
@Controller('courses/:id/audit')
export class AuditController {
  constructor(private readonly ds: DataSource) {}

  @Get()
  @ApiQuery({ name: 'competition', required: false })
  @ApiQuery({ name: 'action', required: false, description: 'a prefix, e.g. team. or competition.close' })
  @ApiQuery({ name: 'before', required: false })
  @ApiQuery({ name: 'limit', required: false })
  async list(@CurrentUser() p: Principal, @Param('id', ParseUUIDPipe) courseId: string, @Query() query: unknown): Promise<AuditEventDto[]> {
    const q = parseWith(querySchema, query);
    const [member] = (await this.ds.query('SELECT role FROM memberships WHERE course_id = $1 AND user_id = $2', [courseId, p.userId])) as { role: string }[];
    if (!member && !p.isAdmin) throw notFound('course');
    if (member?.role !== 'instructor' && !p.isAdmin) throw forbidden('only the course instructors read its audit log');
    const rows = (await this.ds.query(
      `SELECT e.id, e.at, e.action, e.subject_type, e.subject_id, e.data, c.slug, u.display_name, u.email
         FROM audit_events e
         LEFT JOIN competitions c ON c.id = e.competition_id
         LEFT JOIN users u ON u.id = e.actor_id
        WHERE (c.course_id = $1 OR (e.competition_id IS NULL AND (e.data->>'courseId' = $1::text OR (e.subject_type = 'course' AND e.subject_id = $1::text))))
          AND ($2::text IS NULL OR c.slug = $2)
          AND ($3::text IS NULL OR starts_with(e.action, $3))
          AND ($4::uuid IS NULL OR (e.at, e.id) < (SELECT b.at, b.id FROM audit_events b WHERE b.id = $4))
        ORDER BY e.at DESC, e.id DESC LIMIT $5`,
      [courseId, q.competition ?? null, q.action ?? null, q.before ?? null, q.limit],
    )) as { id: string; at: Date; action: string; subject_type: string | null; subject_id: string | null; data: Record<string, unknown>; slug: string | null; display_name: string | null; email: string | null }[];
    return rows.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      actor: r.display_name === null ? null : { displayName: r.display_name, email: r.email ?? '' },
      action: r.action,
      competition: r.slug,
      subject: r.subject_type && r.subject_id ? { type: r.subject_type, id: r.subject_id } : null,
      data: r.data,
    }));
  }
}
