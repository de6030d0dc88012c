import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { CourseDto, CourseMemberDto, Role } from '@holdout/contracts';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig, Course, Membership } from '@holdout/db';
import { DomainError, forbidden, notFound } from '../../common/domain-error.js';
import { parseWith } from '../../common/zod-body.js';
import type { Principal } from '../auth/principal.js';
import { AuditService } from '../audit/audit.service.js';

const createSchema = z.strictObject({ name: z.string().trim().min(1).max(200) });
const joinSchema = z.strictObject({ code: z.string().trim().toUpperCase().min(4).max(16) });
const roleSchema = z.strictObject({ role: z.enum(['instructor', 'ta', 'student']) });
// No 0/O/1/I: codes are read aloud and copied from slides.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

@Injectable()
export class CoursesService {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Opening a course makes its creator an instructor, who may upload competition bundles; so it
   * is for site admins and users an admin approved, unless the site lets anyone
   * (HOLDOUT_COURSE_CREATION=anyone).
   */
  async create(p: Principal, input: unknown): Promise<CourseDto> {
    const { name } = parseWith(createSchema, input);
    if (!(await this.mayCreateCourses(p))) {
      throw forbidden('opening a course needs approval from a site administrator (ask yours to allow you to create courses)');
    }
    return this.ds.transaction(async (m) => {
      for (let attempt = 0; ; attempt++) {
        const joinCode = Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
        if (await m.getRepository(Course).exists({ where: { joinCode } })) {
          if (attempt > 5) throw new DomainError('conflict', 'could not allocate a join code');
          continue;
        }
        const course = await m.getRepository(Course).save(m.getRepository(Course).create({ name, joinCode, createdById: p.userId }));
        await m.getRepository(Membership).insert({ courseId: course.id, userId: p.userId, role: 'instructor' });
        return toCourseDto(course, 'instructor');
      }
    });
  }

  async mayCreateCourses(p: Pick<Principal, 'userId' | 'isAdmin'>): Promise<boolean> {
    if (p.isAdmin || this.config.courseCreation === 'anyone') return true;
    const rows: { can_create_courses: boolean }[] = await this.ds.query('SELECT can_create_courses FROM users WHERE id = $1', [p.userId]);
    return rows[0]?.can_create_courses === true;
  }

  async join(p: Principal, input: unknown): Promise<CourseDto> {
    const { code } = parseWith(joinSchema, input);
    const course = await this.ds.getRepository(Course).findOne({ where: { joinCode: code } });
    if (!course) throw new DomainError('not_found', 'no course has this join code');
    await this.ds.query(`INSERT INTO memberships (course_id, user_id, role) VALUES ($1, $2, 'student') ON CONFLICT (course_id, user_id) DO NOTHING`, [course.id, p.userId]);
    const role = await this.roleIn(p.userId, course.id);
    return toCourseDto(course, role ?? 'student');
  }

  async mine(userId: string): Promise<CourseDto[]> {
    const rows: { id: string; name: string; join_code: string; role: Role }[] = await this.ds.query(
      `SELECT c.id, c.name, c.join_code, m.role FROM memberships m JOIN courses c ON c.id = m.course_id WHERE m.user_id = $1 ORDER BY c.created_at`,
      [userId],
    );
    return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, ...(r.role !== 'student' ? { joinCode: r.join_code } : {}) }));
  }

  /** The roster, for the course staff and site admins. */
  async members(p: Principal, courseId: string): Promise<CourseMemberDto[]> {
    const role = p.isAdmin ? 'instructor' : await this.roleIn(p.userId, courseId);
    if (role !== 'instructor' && role !== 'ta') throw notFound('course');
    const rows: { user_id: string; display_name: string; email: string; role: Role; created_at: Date }[] = await this.ds.query(
      `SELECT m.user_id, u.display_name, u.email, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.course_id = $1 ORDER BY CASE m.role WHEN 'instructor' THEN 0 WHEN 'ta' THEN 1 ELSE 2 END, u.display_name`,
      [courseId],
    );
    return rows.map((r) => ({ userId: r.user_id, displayName: r.display_name, email: r.email, role: r.role, joinedAt: r.created_at.toISOString() }));
  }

  /** Instructs at least one course (who may browse the bundled competitions to create one). */
  async instructsAnyCourse(userId: string): Promise<boolean> {
    return this.ds.getRepository(Membership).exists({ where: { userId, role: 'instructor' } });
  }

  async roleIn(userId: string, courseId: string): Promise<Role | null> {
    const m = await this.ds.getRepository(Membership).findOne({ where: { userId, courseId } });
    return m?.role ?? null;
  }

  /** An instructor (or admin) changes a member's role, e.g. to make a TA. */
  async setRole(p: Principal, courseId: string, userId: string, input: unknown): Promise<void> {
    const { role } = parseWith(roleSchema, input);
    if (!p.isAdmin && (await this.roleIn(p.userId, courseId)) !== 'instructor') throw forbidden('only the course instructor can change roles');
    const r = await this.ds.getRepository(Membership).update({ courseId, userId }, { role });
    if (!r.affected) throw notFound('member');
    await this.audit.record({ actorId: p.userId, action: 'course.role', subjectType: 'user', subjectId: userId, data: { courseId, role } });
  }
}

export function toCourseDto(c: Course, role: Role): CourseDto {
  return { id: c.id, name: c.name, role, ...(role !== 'student' ? { joinCode: c.joinCode } : {}) };
}
