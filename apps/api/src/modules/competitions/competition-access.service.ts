import { Injectable } from '@nestjs/common';
import type { Role } from '@holdout/contracts';
import { DataSource } from 'typeorm';
import { DomainError, notFound } from '../../common/domain-error.js';
import type { Principal } from '../auth/principal.js';
import { Competition } from '@holdout/db';

const COMPETITION_TTL_MS = 2_000;
const ROLE_TTL_MS = 5_000;

export { isRevealed, stateOf } from '@holdout/rules';

/**
 * Who may see and do what in a competition. Anything a viewer may not see is reported as
 * "not found", so ids and slugs of other courses' competitions do not leak.
 */
@Injectable()
export class CompetitionAccess {
  private readonly bySlug = new Map<string, { c: Competition; until: number }>();
  private readonly roles = new Map<string, { r: Role | null; until: number }>();

  constructor(private readonly ds: DataSource) {}

  invalidate(slug?: string): void {
    if (slug) this.bySlug.delete(slug);
    else this.bySlug.clear();
  }

  async load(slug: string): Promise<Competition | null> {
    const now = Date.now();
    const hit = this.bySlug.get(slug);
    if (hit && hit.until > now) return hit.c;
    const c = await this.ds.getRepository(Competition).findOne({ where: { slug } });
    if (c) this.bySlug.set(slug, { c, until: now + COMPETITION_TTL_MS });
    return c;
  }

  /** The viewer's role in the competition's course; site admins act as instructors. */
  async roleOf(p: Principal, c: Competition): Promise<Role | null> {
    if (p.isAdmin) return 'instructor';
    if (!c.courseId) return null;
    const key = `${p.userId}:${c.courseId}`;
    const now = Date.now();
    const hit = this.roles.get(key);
    if (hit && hit.until > now) return hit.r;
    const rows: { role: Role }[] = await this.ds.query('SELECT role FROM memberships WHERE user_id = $1 AND course_id = $2', [p.userId, c.courseId]);
    const r = rows[0]?.role ?? null;
    if (this.roles.size > 10_000) this.roles.clear();
    this.roles.set(key, { r, until: now + ROLE_TTL_MS });
    return r;
  }

  /** The competition, if the viewer may see it, with the viewer's role (null for outsiders of a public one). */
  async visible(p: Principal, slug: string): Promise<{ c: Competition; role: Role | null }> {
    const c = await this.load(slug);
    if (!c) throw notFound('competition');
    const role = await this.roleOf(p, c);
    if (!role && c.visibility !== 'public') throw notFound('competition');
    return { c, role };
  }

  async staff(p: Principal, slug: string): Promise<{ c: Competition; role: Role }> {
    const v = await this.visible(p, slug);
    if (v.role !== 'instructor' && v.role !== 'ta') throw new DomainError('forbidden', 'only the course staff can do this');
    return { c: v.c, role: v.role };
  }

  async instructor(p: Principal, slug: string): Promise<Competition> {
    const v = await this.visible(p, slug);
    if (v.role !== 'instructor') throw new DomainError('forbidden', 'only the course instructor can do this');
    return v.c;
  }
}
