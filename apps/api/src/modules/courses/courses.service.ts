import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { CourseDto, CourseMemberDto, Role, RosterImportDto } from '@holdout/contracts';
import { parseCsvText } from '@holdout/competition';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig, Course, Membership } from '@holdout/db';
import { DomainError, forbidden, notFound } from '../../common/domain-error.js';
import { parseWith } from '../../common/zod-body.js';
import type { Principal } from '../auth/principal.js';
import { AuditService } from '../audit/audit.service.js';

const createSchema = z.strictObject({ name: z.string().trim().min(1).max(200) });
const joinSchema = z.strictObject({ code: z.string().trim().toUpperCase().min(4).max(16) });
const roleSchema = z.strictObject({ role: z.enum(['instructor', 'ta', 'student']) });
const joinCodeSchema = z.strictObject({ expiresAt: z.iso.datetime({ offset: true }).nullable().optional() });
const rosterSchema = z.strictObject({ csv: z.string().min(1, 'paste the roster (a CSV with an email column)').max(1_000_000), apply: z.boolean().default(false) });
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
      const course = await m.getRepository(Course).save(m.getRepository(Course).create({ name, joinCode: await freshJoinCode(m), createdById: p.userId }));
      await m.getRepository(Membership).insert({ courseId: course.id, userId: p.userId, role: 'instructor' });
      return toCourseDto(course, 'instructor');
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
    if (course.joinCodeExpiresAt && course.joinCodeExpiresAt <= new Date()) {
      throw new DomainError('conflict', `this join code expired on ${course.joinCodeExpiresAt.toISOString()}; ask your instructor for a new one`);
    }
    await this.ds.query(`INSERT INTO memberships (course_id, user_id, role) VALUES ($1, $2, 'student') ON CONFLICT (course_id, user_id) DO NOTHING`, [course.id, p.userId]);
    const role = await this.roleIn(p.userId, course.id);
    return toCourseDto(course, role ?? 'student');
  }

  async mine(userId: string): Promise<CourseDto[]> {
    const rows: { id: string; name: string; join_code: string | null; join_code_expires_at: Date | null; role: Role }[] = await this.ds.query(
      `SELECT c.id, c.name, c.join_code, c.join_code_expires_at, m.role FROM memberships m JOIN courses c ON c.id = m.course_id WHERE m.user_id = $1 ORDER BY c.created_at`,
      [userId],
    );
    return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, ...(r.role !== 'student' ? { joinCode: r.join_code, joinCodeExpiresAt: r.join_code_expires_at?.toISOString() ?? null } : {}) }));
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

  /**
   * A new join code for the course (the old one stops working), optionally expiring; or, with
   * `revoke`, none at all (students then join through the roster only). Instructors; audited.
   */
  async joinCode(p: Principal, courseId: string, input: unknown, revoke = false): Promise<CourseDto> {
    await this.assertInstructor(p, courseId);
    const { expiresAt } = revoke ? { expiresAt: null } : parseWith(joinCodeSchema, input ?? {});
    if (expiresAt && new Date(expiresAt) <= new Date()) throw new DomainError('bad_request', 'expiresAt must be in the future');
    const course = await this.ds.transaction(async (m) => {
      const code = revoke ? null : await freshJoinCode(m);
      await m.getRepository(Course).update({ id: courseId }, { joinCode: code, joinCodeExpiresAt: expiresAt ? new Date(expiresAt) : null });
      await this.audit.record({ actorId: p.userId, action: revoke ? 'course.join-code.revoke' : 'course.join-code', subjectType: 'course', subjectId: courseId, data: { courseId, expiresAt: expiresAt ?? null } }, m);
      return m.getRepository(Course).findOneByOrFail({ id: courseId });
    });
    return toCourseDto(course, 'instructor');
  }

  /**
   * A roster of e-mail addresses, checked row by row (preview), and with `apply` put into effect
   * when every row is valid: accounts that exist join the course now; the others join when they
   * sign up with that address (`joinFromRoster`). Audited.
   */
  async roster(p: Principal, courseId: string, input: unknown): Promise<RosterImportDto> {
    await this.assertInstructor(p, courseId);
    const { csv, apply } = parseWith(rosterSchema, input);
    let table: ReturnType<typeof parseCsvText>;
    try {
      table = parseCsvText(csv, 'roster.csv');
    } catch (err) {
      throw new DomainError('bad_request', (err as Error).message);
    }
    if (!table.columns.includes('email')) throw new DomainError('bad_request', `roster.csv: the header must have an "email" column (found ${table.columns.map((c) => `"${c}"`).join(', ') || 'nothing'})`);
    const unknown = table.columns.filter((c) => c !== 'email' && c !== 'role');
    if (unknown.length > 0) throw new DomainError('bad_request', `roster.csv: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c}"`).join(', ')} (only email and role)`);
    if (table.rows.length > 5000) throw new DomainError('bad_request', 'roster.csv: at most 5000 rows at once');
    const seen = new Set<string>();
    const parsed = table.rows.map(({ row, values }) => {
      const email = (values.email ?? '').trim().toLowerCase();
      const role = ((values.role ?? '').trim().toLowerCase() || 'student') as 'student' | 'ta';
      let problem: string | null = null;
      if (!z.email().safeParse(email).success) problem = `row ${row}: "${values.email ?? ''}" is not an e-mail address`;
      else if (role !== 'student' && role !== 'ta') problem = `row ${row}: role must be student or ta, not "${values.role}"`;
      else if (seen.has(email)) problem = `row ${row}: ${email} is listed twice`;
      seen.add(email);
      return { row, email, role, problem };
    });
    const emails = parsed.filter((r) => !r.problem).map((r) => r.email);
    const accounts = (await this.ds.query(
      `SELECT u.id, u.email, m.role FROM users u LEFT JOIN memberships m ON m.user_id = u.id AND m.course_id = $2 WHERE u.email = ANY($1)`,
      [emails, courseId],
    )) as { id: string; email: string; role: Role | null }[];
    const byEmail = new Map(accounts.map((a) => [a.email, a]));
    const rows: RosterImportDto['rows'] = parsed.map((r) => ({
      row: r.row,
      email: r.email,
      role: r.role,
      problem: r.problem,
      status: r.problem ? 'invalid' : byEmail.get(r.email)?.role ? 'member' : byEmail.has(r.email) ? 'joins' : 'joins-on-sign-up',
    }));
    const count = (s: RosterImportDto['rows'][number]['status']) => rows.filter((r) => r.status === s).length;
    const counts = { joins: count('joins'), joinsOnSignUp: count('joins-on-sign-up'), members: count('member'), invalid: count('invalid') };
    if (!apply) return { applied: false, rows, counts };
    if (counts.invalid > 0) throw new DomainError('bad_request', `the roster has ${counts.invalid} invalid row${counts.invalid > 1 ? 's' : ''}; nothing was imported`, rows.filter((r) => r.problem).map((r) => r.problem));
    await this.ds.transaction(async (m) => {
      for (const r of rows) {
        if (r.status === 'joins') await m.query(`INSERT INTO memberships (course_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (course_id, user_id) DO NOTHING`, [courseId, byEmail.get(r.email)!.id, r.role]);
        if (r.status === 'joins-on-sign-up') {
          await m.query(`INSERT INTO course_roster (course_id, email, role, added_by_id) VALUES ($1, $2, $3, $4) ON CONFLICT (course_id, email) DO UPDATE SET role = $3`, [courseId, r.email, r.role, p.userId]);
        }
      }
      await this.audit.record({ actorId: p.userId, action: 'course.roster', subjectType: 'course', subjectId: courseId, data: { courseId, ...counts } }, m);
    });
    return { applied: true, rows, counts };
  }

  /** A new account joins the courses whose roster lists its address. */
  async joinFromRoster(user: { id: string; email: string }): Promise<void> {
    await this.ds.query(
      `INSERT INTO memberships (course_id, user_id, role) SELECT r.course_id, $1, r.role FROM course_roster r WHERE r.email = $2 ON CONFLICT (course_id, user_id) DO NOTHING`,
      [user.id, user.email],
    );
  }

  /**
   * An instructor removes a member from the course. The member's submissions stay for the
   * record: a team they leave empty is taken off the leaderboards (disqualified with the reason),
   * a team with others keeps its submissions. The last instructor cannot be removed. Audited.
   */
  async removeMember(p: Principal, courseId: string, userId: string): Promise<void> {
    await this.assertInstructor(p, courseId);
    await this.ds.transaction(async (m) => {
      const [member] = (await m.query('SELECT m.role, u.display_name FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.course_id = $1 AND m.user_id = $2', [courseId, userId])) as { role: Role; display_name: string }[];
      if (!member) throw notFound('member');
      if (member.role === 'instructor') {
        const [n] = (await m.query(`SELECT count(*) AS n FROM memberships WHERE course_id = $1 AND role = 'instructor'`, [courseId])) as { n: string }[];
        if (Number(n!.n) <= 1) throw new DomainError('conflict', 'the last instructor of a course cannot be removed');
      }
      const teams = (await m.query(
        `DELETE FROM team_members tm USING competitions c WHERE tm.competition_id = c.id AND c.course_id = $1 AND tm.user_id = $2 RETURNING tm.team_id`,
        [courseId, userId],
      )) as [{ team_id: string }[], number];
      const emptied = (await m.query(
        `UPDATE teams t SET disqualified_at = now(), disqualified_reason = $2 WHERE t.id = ANY($1) AND NOT EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = t.id) AND t.disqualified_at IS NULL RETURNING t.id`,
        [teams[0].map((t) => t.team_id), `${member.display_name} was removed from the course`],
      )) as [{ id: string }[], number];
      await m.query('DELETE FROM memberships WHERE course_id = $1 AND user_id = $2', [courseId, userId]);
      await m.query('DELETE FROM course_roster r USING users u WHERE r.course_id = $1 AND u.id = $2 AND r.email = u.email', [courseId, userId]);
      await this.audit.record({ actorId: p.userId, action: 'course.remove-member', subjectType: 'user', subjectId: userId, data: { courseId, name: member.display_name, role: member.role, teamsOffTheBoards: emptied[0].length } }, m);
    });
  }

  private async assertInstructor(p: Principal, courseId: string): Promise<void> {
    if (!(await this.ds.getRepository(Course).exists({ where: { id: courseId } }))) throw notFound('course');
    const role = await this.roleIn(p.userId, courseId);
    if (!p.isAdmin && role !== 'instructor') {
      if (role === null) throw notFound('course');
      throw forbidden('only the course instructors manage its members and join code');
    }
  }

  /**
   * An instructor (or admin) changes a member's role, e.g. to make a TA. Like removal, never
   * demotes the last instructor (the course would have nobody to run it). Audited.
   */
  async setRole(p: Principal, courseId: string, userId: string, input: unknown): Promise<void> {
    const { role } = parseWith(roleSchema, input);
    await this.assertInstructor(p, courseId);
    await this.ds.transaction(async (m) => {
      // Instructors' rows locked: two instructors demoting each other at once cannot both succeed.
      const instructors = (await m.query(`SELECT user_id FROM memberships WHERE course_id = $1 AND role = 'instructor' FOR UPDATE`, [courseId])) as { user_id: string }[];
      if (role !== 'instructor' && instructors.length === 1 && instructors[0]!.user_id === userId) {
        throw new DomainError('conflict', 'the last instructor of a course cannot step down; make someone else an instructor first');
      }
      const [rows] = (await m.query('UPDATE memberships SET role = $3 WHERE course_id = $1 AND user_id = $2 RETURNING user_id', [courseId, userId, role])) as [unknown[], number];
      if (rows.length === 0) throw notFound('member');
      await this.audit.record({ actorId: p.userId, action: 'course.role', subjectType: 'user', subjectId: userId, data: { courseId, role } }, m);
    });
  }
}

/** A join code no course has: 8 characters of ALPHABET, drawn again on the rare clash. */
async function freshJoinCode(m: EntityManager): Promise<string> {
  for (let attempt = 0; attempt <= 6; attempt++) {
    const code = Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    if (!(await m.getRepository(Course).exists({ where: { joinCode: code } }))) return code;
  }
  throw new DomainError('conflict', 'could not allocate a join code');
}

export function toCourseDto(c: Course, role: Role): CourseDto {
  return { id: c.id, name: c.name, role, ...(role !== 'student' ? { joinCode: c.joinCode, joinCodeExpiresAt: c.joinCodeExpiresAt?.toISOString() ?? null } : {}) };
}
